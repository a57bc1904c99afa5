// Package asff turns forcessl's results into AWS Security Finding Format
// (ASFF) documents for Security Hub: one finding per resource and check,
// with a deterministic ID, forcessl's lifecycle (failed, fix scheduled,
// passed, exempt) and a fingerprint of the content forcessl owns, so the
// executor (pkg/hub) sends only what changed. It also knows AWS's own
// controls for the same thing (RDS.38/39/41/44) and the workflow status
// forcessl sets when a finding moves. Pure: the caller passes the clock.
//
// Field ownership, from the Security Hub user guide
// (awsdocs/aws-security-hub-user-guide@47bfe2f, doc_source/
// finding-update-batchimportfindings.md and finding-update-batchupdatefindings.md):
//   - BatchImportFindings "cannot ... update the following attributes and
//     objects. These attributes can only be updated using
//     BatchUpdateFindings: Note, UserDefinedFields, VerificationState,
//     Workflow"; so documents here never carry them.
//   - Providers "should not use BatchImportFindings to update ...
//     Confidence, Criticality, RelatedFindings, Severity, Types. Instead,
//     finding providers use the FindingProviderFields object"; so Severity
//     and Types are set only there (the guide's "(Preferred)" option: Security
//     Hub copies them to the top level unless a customer changed those with
//     BatchUpdateFindings).
//   - "If UpdatedAt on the update matches or occurs before UpdatedAt on the
//     existing finding, then the update is ignored"; so Stamp never goes back.
package asff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/policy"
)

// Fixed parts of every forcessl finding.
const (
	SchemaVersion = "2018-10-08"
	// FindingType is the ASFF type of every forcessl finding (namespace
	// "Software and Configuration Checks", category "AWS Security Best
	// Practices", as AWS's own control findings use).
	FindingType = "Software and Configuration Checks/AWS Security Best Practices"
	// GeneratorPrefix starts every forcessl GeneratorId: "forcessl/tls",
	// "forcessl/ca", ... one generator per check.
	GeneratorPrefix = "forcessl/"
	// CheckCoverage is the check of an account and Region forcessl could
	// not read (a sweep's coverage gap).
	CheckCoverage = "coverage"
)

// ProductFields keys. forcessl's own namespace, so they never meet Security
// Hub's ("aws/securityhub/...").
const (
	FieldCheck       = "forcessl/Check"
	FieldStatus      = "forcessl/Status"   // forcessl's lifecycle: failed, fix-scheduled, passed, exempt, archived
	FieldState       = "forcessl/State"    // the resource's state as forcessl decided it (non-compliant, ...)
	FieldRebootAt    = "forcessl/RebootAt" // RFC 3339, UTC: when the reboot that puts the fix in effect is scheduled
	FieldMode        = "forcessl/Mode"     // report | enforce
	FieldFingerprint = "forcessl/Fingerprint"
)

// MaxDescription and the other maxima are the ASFF field limits forcessl
// can reach with long reasons (API reference, AwsSecurityFinding).
const (
	MaxTitle          = 256
	MaxDescription    = 1024
	MaxRecommendation = 512
	MaxNote           = 512
)

// Status is where a finding is in forcessl's lifecycle.
type Status string

const (
	Failed    Status = "failed"        // not compliant, no fix on its way (or report mode)
	Scheduled Status = "fix-scheduled" // not yet compliant; the reboot that fixes it is scheduled
	Passed    Status = "passed"
	Exempted  Status = "exempt"   // forcessl does not judge it: last compliance kept, workflow SUPPRESSED
	Archived  Status = "archived" // the check or resource is no longer forcessl's
)

// Source is where and when findings are made: the account and Region the
// resource is in (where they must be imported: the caller's account must
// equal AwsAccountId), and forcessl's settings that shape them.
type Source struct {
	Account, Region, Partition string
	Mode                       policy.Mode
	ExemptTag                  string
	Now                        time.Time
}

// Product is the account's default product, the one any account may import
// its own findings into (securityhub-custom-providers.md):
// arn:<partition>:securityhub:<region>:<account>:product/<account>/default.
func (s Source) Product() string {
	return "arn:" + s.partition() + ":securityhub:" + s.Region + ":" + s.Account + ":product/" + s.Account + "/default"
}

func (s Source) partition() string {
	if s.Partition != "" {
		return s.Partition
	}
	return PartitionOf(s.Region)
}

// PartitionOf is the AWS partition a Region belongs to.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// ID is a finding's deterministic identifier: the resource and the check,
// so every run names the same finding and an import updates it.
func ID(resource, check string) string { return GeneratorPrefix + resource + "/" + check }

// Finding is one document to import, with what the executor needs to
// decide whether to send it.
type Finding struct {
	Check  string
	Status Status
	// Print is the fingerprint of the content forcessl owns (everything but
	// the timestamps): a finding is sent again only when it changes.
	Print string
	Doc   types.AwsSecurityFinding
}

// ID is the finding's identifier.
func (f Finding) ID() string { return aws.ToString(f.Doc.Id) }

// Timestamp is ASFF's date format (ISO 8601 with milliseconds, UTC).
const Timestamp = "2006-01-02T15:04:05.000Z"

// Stamp sets the finding's creation time (kept from its first import) and
// update time: now, or just after the last update Security Hub has, since
// an update that is not later is ignored.
func Stamp(d *types.AwsSecurityFinding, created, lastUpdated, now time.Time) {
	updated := now.UTC()
	if !lastUpdated.IsZero() && !updated.After(lastUpdated) {
		updated = lastUpdated.UTC().Add(time.Millisecond)
	}
	if created.IsZero() || created.After(updated) {
		created = updated
	}
	d.CreatedAt = aws.String(created.UTC().Format(Timestamp))
	d.UpdatedAt = aws.String(updated.Format(Timestamp))
}

// ParseTime reads an ASFF timestamp (zero when absent or malformed).
func ParseTime(s *string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, aws.ToString(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// Fingerprint is the fingerprint of a document's content forcessl owns:
// its timestamps, the fingerprint field itself and whatever Security Hub
// or a customer adds (workflow, note, top-level severity and types,
// Security Hub's own product fields) are left out, so the same content
// read back from Security Hub has the same fingerprint.
func Fingerprint(d types.AwsSecurityFinding) string {
	owned := struct {
		ID, Generator, Account, Product, Title, Description *string
		FPF                                                 *types.FindingProviderFields
		Compliance                                          types.ComplianceStatus
		Remediation                                         *types.Remediation
		Resources                                           []types.Resource
		Fields                                              map[string]string
		Record                                              types.RecordState
	}{d.Id, d.GeneratorId, d.AwsAccountId, d.ProductArn, d.Title, d.Description, d.FindingProviderFields, "",
		d.Remediation, d.Resources, map[string]string{}, d.RecordState}
	if d.Compliance != nil {
		owned.Compliance = d.Compliance.Status
	}
	for k, v := range d.ProductFields {
		if strings.HasPrefix(k, GeneratorPrefix) && k != FieldFingerprint {
			owned.Fields[k] = v
		}
	}
	b, _ := json.Marshal(owned) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// seal computes the finding's fingerprint and records it in the document.
func seal(f Finding) Finding {
	f.Doc.ProductFields = maps.Clone(f.Doc.ProductFields)
	delete(f.Doc.ProductFields, FieldFingerprint)
	f.Print = Fingerprint(f.Doc)
	f.Doc.ProductFields[FieldFingerprint] = f.Print
	return f
}

// cut shortens s to at most n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-3]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}
