package observe

import (
	"context"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/forcessl/forcessl/pkg/policy"
)

// CAs lists the region's CA certificates and their expiry
// (DescribeCertificates), merged over the built-in table, once per
// observer (a request), or once per region for a read-only sweep (Shared).
// Reading them must never block, fail or retry a TLS remediation: any
// error falls back to the table, and is logged.
func (o *Observer) CAs(ctx context.Context) map[string]time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cas == nil {
		if o.Shared != nil {
			o.cas = o.Shared.regionCAs(ctx, o.Region, o.listCAs)
		} else {
			o.cas, _ = o.listCAs(ctx)
		}
	}
	return o.cas
}

// listCAs reads the region's CAs; ok is false when it fell back to the
// built-in table.
func (o *Observer) listCAs(ctx context.Context) (cas map[string]time.Time, ok bool) {
	cas = maps.Clone(policy.KnownCAs)
	p := rds.NewDescribeCertificatesPaginator(o.RDS, &rds.DescribeCertificatesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if o.Log != nil {
				o.Log.WarnContext(ctx, "DescribeCertificates failed: the CA check uses the built-in table of RDS CAs", "error", err.Error())
			}
			return maps.Clone(policy.KnownCAs), false
		}
		for _, c := range page.Certificates {
			if id := aws.ToString(c.CertificateIdentifier); id != "" && c.ValidTill != nil {
				cas[id] = *c.ValidTill
			}
		}
	}
	return cas, true
}
