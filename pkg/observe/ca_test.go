package observe

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// failingCertificates answers DescribeCertificates with an error, as moto
// does (HTTP 500), and counts the calls; nothing else is called.
type failingCertificates struct {
	RDS
	calls int
}

func (f *failingCertificates) DescribeCertificates(context.Context, *rds.DescribeCertificatesInput, ...func(*rds.Options)) (*rds.DescribeCertificatesOutput, error) {
	f.calls++
	return nil, errors.New("500 Internal Server Error")
}

// The region's CAs are read once per request, however many resources ask,
// and a failed read falls back to the built-in table.
func TestCAsAreReadOnceAndFallBack(t *testing.T) {
	f := &failingCertificates{}
	o := New(f, nil, "111122223333", "eu-west-1", "forcessl")
	for range 3 {
		if cas := o.CAs(context.Background()); cas["rds-ca-2019"].IsZero() || cas["rds-ca-rsa2048-g1"].IsZero() {
			t.Fatalf("the built-in table is missing: %v", cas)
		}
	}
	if f.calls != 1 {
		t.Errorf("%d DescribeCertificates calls for three resources of one request, want 1", f.calls)
	}
}
