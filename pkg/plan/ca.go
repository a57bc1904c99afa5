package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/policy"
)

// SetCA changes an instance's server certificate CA (ModifyDBInstance
// CACertificateIdentifier). With ApplyImmediately the change, and the
// restart it needs unless the engine rotates without one, happens now;
// without it RDS applies it in the next maintenance window (RDS User Guide,
// UsingWithRDS.SSL-certificate-rotation; shared/reference/09 section 3).
type SetCA struct {
	Target           Ref
	CA               string
	ApplyImmediately bool
}

func (s SetCA) Describe() string {
	when := "in its next maintenance window (applied by RDS)"
	if s.ApplyImmediately {
		when = "now, with the restart"
	}
	return fmt.Sprintf("set the server certificate CA of %s to %s %s", s.Target.ID, s.CA, when)
}

// certificate is one server certificate forcessl judges: an instance's, or
// a cluster member's.
type certificate struct {
	owner, ca string
	validTill time.Time
}

func (d decision) certificates() []certificate {
	in := d.o.Resource
	if in.Kind != KindCluster {
		return []certificate{{in.ID, in.CA, in.CertValidTill}}
	}
	var cs []certificate
	if in.CA != "" { // a Multi-AZ DB cluster's own certificate
		cs = append(cs, certificate{in.ID, in.CA, in.CertValidTill})
	}
	for _, m := range in.Members {
		cs = append(cs, certificate{m.ID, m.CA, m.CertValidTill})
	}
	return cs
}

// caCheck judges the server certificates: expired, expiring within CAWarn,
// or issued by a CA that is not current. A certificate whose expiry RDS
// does not report is judged by its CA's own expiry (DescribeCertificates,
// or the built-in table when that fails), which Decide asks for once.
func (d decision) caCheck() (Check, Need) {
	var problems []string
	judged := false
	for _, c := range d.certificates() {
		if c.ca == "" {
			continue // RDS did not say: nothing to judge
		}
		judged = true
		till := c.validTill
		if till.IsZero() {
			if d.o.CAs == nil {
				return Check{}, Need{CAs: true}
			}
			till = d.o.CAs[c.ca]
		}
		if !till.IsZero() && !till.After(d.now) {
			problems = append(problems, fmt.Sprintf("%s: certificate (%s) expired on %s", c.owner, c.ca, till.UTC().Format(time.DateOnly)))
		} else if !till.IsZero() && till.Before(d.now.Add(d.s.CAWarn)) {
			problems = append(problems, fmt.Sprintf("%s: certificate (%s) expires on %s, within %s", c.owner, c.ca,
				till.UTC().Format(time.DateOnly), days(d.s.CAWarn)))
		} else if !slices.Contains(policy.CurrentCAs, c.ca) {
			problems = append(problems, fmt.Sprintf("%s: CA %s is not a current RDS CA (%s)", c.owner, c.ca, strings.Join(policy.CurrentCAs, ", ")))
		}
	}
	if !judged {
		return Check{}, Need{}
	}
	if len(problems) == 0 {
		return Check{Name: CheckCA, Passed: true, Detail: "server certificates current"}, Need{}
	}
	return Check{Name: CheckCA, Detail: strings.Join(problems, "; ")}, Need{}
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// caFix is the CA change forcessl makes with FORCESSL_CA set, on an
// instance whose certificate check failed (the caller's condition): ""
// when none, as when FORCESSL_CA is unset or already the instance's CA.
func (d decision) caFix() string {
	in := d.o.Resource
	if in.Kind != KindInstance || in.CA == d.s.CA {
		return ""
	}
	return d.s.CA
}
