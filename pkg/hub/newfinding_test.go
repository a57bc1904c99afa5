package hub_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
)

// A finding new to Security Hub is imported with top-level Severity and
// Types (required ASFF attributes) equal to its FindingProviderFields; a
// re-import carries FindingProviderFields only, so a severity the customer
// set with BatchUpdateFindings stands (BatchImportFindings and
// FindingProviderFields API references).
func TestTopLevelSeverityAndTypesOnFirstImportOnly(t *testing.T) {
	f := newFixture(t, policy.ModeEnforce, true)
	r := res("orders", plan.NonCompliant, plan.OutcomeRemediated, remediated)
	f.flush(r)
	f.now = start.Add(31 * 24 * time.Hour) // due for a refresh
	f.flush(r)
	var first, again *types.AwsSecurityFinding
	for _, batch := range f.sh.Imports {
		for i, d := range batch {
			if aws.ToString(d.Id) != asff.ID(arn("orders"), "tls") {
				continue
			}
			if first == nil {
				first = &batch[i]
			} else {
				again = &batch[i]
			}
		}
	}
	if first == nil || again == nil {
		t.Fatalf("imports: first %v, again %v", first != nil, again != nil)
	}
	fpf := first.FindingProviderFields
	if first.Severity == nil || first.Severity.Label != fpf.Severity.Label || aws.ToString(first.Severity.Original) != aws.ToString(fpf.Severity.Original) ||
		!slices.Equal(first.Types, fpf.Types) || len(first.Types) == 0 {
		t.Errorf("first import: severity %+v types %v, provider fields %+v %v", first.Severity, first.Types, fpf.Severity, fpf.Types)
	}
	if again.Severity != nil || again.Types != nil || again.FindingProviderFields == nil {
		t.Errorf("re-import: top-level severity %+v types %v", again.Severity, again.Types)
	}
}
