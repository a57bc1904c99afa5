package observe

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
	"github.com/forcessl/forcessl/pkg/plan"
)

// pagedParams serves 250 parameters in pages of 100; it refuses the
// parameter-name filter when refuseFilter is set, as older APIs did.
type pagedParams struct {
	RDS
	refuseFilter bool
	calls        int
}

func (p *pagedParams) DescribeDBParameters(_ context.Context, in *rds.DescribeDBParametersInput, _ ...func(*rds.Options)) (*rds.DescribeDBParametersOutput, error) {
	p.calls++
	if len(in.Filters) > 0 {
		if p.refuseFilter {
			return nil, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "Unrecognized filter name: parameter-name"}
		}
		return &rds.DescribeDBParametersOutput{Parameters: []types.Parameter{{ParameterName: aws.String(in.Filters[0].Values[0]),
			ParameterValue: aws.String("1"), ApplyType: aws.String("static")}}}, nil
	}
	start := 0
	if in.Marker != nil {
		fmt.Sscan(*in.Marker, &start)
	}
	out := &rds.DescribeDBParametersOutput{}
	for i := start; i < start+100 && i < 250; i++ {
		name := fmt.Sprintf("param%03d", i)
		if i == 240 {
			name = "rds.force_ssl"
		}
		out.Parameters = append(out.Parameters, types.Parameter{ParameterName: aws.String(name), ParameterValue: aws.String("1"), ApplyType: aws.String("static")})
	}
	if start+100 < 250 {
		out.Marker = aws.String(fmt.Sprint(start + 100))
	}
	return out, nil
}

func TestParameterFilterAndFallback(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		c := &pagedParams{refuseFilter: refuse}
		o := New(c, nil, "111122223333", "eu-west-1", "forcessl")
		ps, err := o.Parameters(context.Background(), plan.KindInstance, "g", []string{"rds.force_ssl", "rds.tls10"})
		if p := ps["rds.force_ssl"]; err != nil || !p.Found || p.Value != "1" || p.ApplyType != "static" {
			t.Fatalf("refuse=%v: %+v %v", refuse, p, err)
		}
		if ps["rds.tls10"].Found {
			t.Errorf("a parameter the group does not list must come back not found: %+v", ps["rds.tls10"])
		}
		want := 1
		if refuse {
			want = 1 + 3 // refused, then every page (the parameter is on the third)
		}
		if c.calls != want {
			t.Errorf("refuse=%v: %d calls, want %d", refuse, c.calls, want)
		}
		// Cached per group for the observer's lifetime.
		if _, err := o.Parameters(context.Background(), plan.KindInstance, "g", []string{"rds.tls10", "rds.force_ssl"}); err != nil || c.calls != want {
			t.Errorf("second read was not cached: %d calls", c.calls)
		}
	}
}

func TestPendingModified(t *testing.T) {
	if pendingModified(nil) || pendingModified(&types.PendingModifiedValues{}) {
		t.Error("nothing pending")
	}
	if !pendingModified(&types.PendingModifiedValues{DBInstanceClass: aws.String("db.m5.xlarge")}) {
		t.Error("class change pending")
	}
}
