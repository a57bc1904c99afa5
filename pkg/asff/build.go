package asff

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/result"
)

// Name is the company and product name forcessl's findings carry: a custom
// integration may set both with BatchImportFindings
// (securityhub-custom-providers.md), so the console shows "forcessl"
// rather than the default product's "Personal"/"Default".
const Name = "forcessl"

// RecommendationURL is AWS's page on TLS to RDS, for every check.
const RecommendationURL = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html"

// Findings are the resource's findings, one per check: each check the
// result carries, and the TLS switch judged from the resource's state when
// the checks do not include it. None for a resource forcessl does not
// judge: exempt (see Exemption), out of scope, gone.
func Findings(src Source, res result.Resource) []Finding {
	switch res.State {
	case plan.Exempt, plan.OutOfScope, plan.NotFound, "":
		return nil
	}
	checks := slices.Clone(res.Checks)
	if !slices.ContainsFunc(checks, func(c result.Check) bool { return c.Name == result.CheckTLS }) {
		if c, ok := tlsFromState(res); ok {
			checks = append(checks, c)
		}
	}
	slices.SortFunc(checks, func(a, b result.Check) int { return strings.Compare(a.Name, b.Name) })
	var out []Finding
	for _, c := range checks {
		out = append(out, build(src, res, c))
	}
	return out
}

// tlsFromState judges the TLS switch from the resource's state, for results
// without a "tls" check.
func tlsFromState(res result.Resource) (result.Check, bool) {
	c := result.Check{Name: result.CheckTLS, Detail: res.Reason}
	switch res.State {
	case plan.Compliant:
		c.Passed = true
	case plan.CompliantPendingReboot:
		c.Passed, c.Pending = true, true
	case plan.NonCompliant, plan.NotReady:
	default:
		return c, false
	}
	return c, true
}

// StatusOf is where a check stands: passed when it passes and is in
// effect; fix-scheduled when forcessl (enforce mode) has a reboot scheduled
// that puts a fix in effect (the check passes in the group and waits for
// the restart, or forcessl changed the resource in this run); failed
// otherwise, report mode included: nothing is on its way there.
func StatusOf(src Source, res result.Resource, c result.Check) Status {
	switch {
	case c.Passed && !c.Pending:
		return Passed
	case src.Mode == policy.ModeEnforce && (res.RebootAt != nil || res.Outcome == plan.OutcomeRebooted) && !res.Failed() &&
		res.Outcome != plan.OutcomeRefused && res.Outcome != plan.OutcomeUntrusted && (c.Pending || len(res.Changed) > 0):
		return Scheduled
	}
	return Failed
}

// Severity matches the notifications' (notify.Notice.Severity): "high"
// when nothing will fix it without a person (report mode, refused,
// failed), "medium" while forcessl is on it, "info" once it passes; as
// Security Hub labels HIGH, MEDIUM, INFORMATIONAL ("No issue was found").
// The notifications' own word is kept as Severity.Original.
func Severity(src Source, res result.Resource, st Status) (types.SeverityLabel, string) {
	switch {
	case st == Passed:
		return types.SeverityLabelInformational, "info"
	case src.Mode != policy.ModeEnforce, res.Failed(), res.Outcome == plan.OutcomeRefused, res.Outcome == plan.OutcomeUntrusted:
		return types.SeverityLabelHigh, "high"
	}
	return types.SeverityLabelMedium, "medium"
}

// build makes one check's finding.
func build(src Source, res result.Resource, c result.Check) Finding {
	st := StatusOf(src, res, c)
	label, original := Severity(src, res, st)
	compliance := types.ComplianceStatusFailed
	if st == Passed {
		compliance = types.ComplianceStatusPassed
	}
	arn := ResourceARN(src, res)
	fields := map[string]string{FieldCheck: c.Name, FieldStatus: string(st), FieldState: string(res.State), FieldMode: string(src.Mode)}
	if res.RebootAt != nil && st != Passed {
		fields[FieldRebootAt] = res.RebootAt.UTC().Format(time.RFC3339)
	}
	d := types.AwsSecurityFinding{
		SchemaVersion: aws.String(SchemaVersion),
		Id:            aws.String(ID(arn, c.Name)),
		ProductArn:    aws.String(src.Product()),
		GeneratorId:   aws.String(GeneratorPrefix + c.Name),
		AwsAccountId:  aws.String(src.Account),
		CompanyName:   aws.String(Name),
		ProductName:   aws.String(Name),
		Title:         aws.String(cut(title(res.Kind, c.Name), MaxTitle)),
		Description:   aws.String(cut(description(res, c, st), MaxDescription)),
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: label, Original: aws.String(original)},
			Types:    []string{FindingType},
		},
		Compliance: &types.Compliance{Status: compliance},
		Remediation: &types.Remediation{Recommendation: &types.Recommendation{
			Text: aws.String(cut(recommendation(src, res, c, st), MaxRecommendation)), Url: aws.String(RecommendationURL)}},
		Resources:     []types.Resource{resource(src, res, arn)},
		ProductFields: fields,
		RecordState:   types.RecordStateActive,
	}
	Stamp(&d, src.Now, time.Time{}, src.Now)
	return seal(Finding{Check: c.Name, Status: st, Doc: d})
}

// ResourceARN is the resource's ARN, built from its name when the result
// lacks it.
func ResourceARN(src Source, res result.Resource) string {
	if res.ARN != "" {
		return res.ARN
	}
	kind := "db"
	if res.Kind == plan.KindCluster {
		kind = "cluster"
	}
	return "arn:" + src.partition() + ":rds:" + src.Region + ":" + src.Account + ":" + kind + ":" + res.Name
}

// resource is the ASFF resource: AwsRdsDbInstance or AwsRdsDbCluster, with
// the details forcessl knows.
func resource(src Source, res result.Resource, arn string) types.Resource {
	r := types.Resource{Type: aws.String("AwsRdsDbInstance"), Id: aws.String(arn), Partition: types.Partition(src.partition()),
		Region: aws.String(src.Region)}
	if res.Kind == plan.KindCluster {
		r.Type = aws.String("AwsRdsDbCluster")
		d := &types.AwsRdsDbClusterDetails{DbClusterIdentifier: aws.String(res.Name), Engine: optional(res.Engine),
			DbClusterParameterGroup: optional(res.Group), PreferredMaintenanceWindow: optional(res.Window)}
		r.Details = &types.ResourceDetails{AwsRdsDbCluster: d}
		return r
	}
	d := &types.AwsRdsDbInstanceDetails{DBInstanceIdentifier: aws.String(res.Name), Engine: optional(res.Engine),
		PreferredMaintenanceWindow: optional(res.Window)}
	if res.Group != "" {
		d.DbParameterGroups = []types.AwsRdsDbParameterGroup{{DbParameterGroupName: aws.String(res.Group)}}
	}
	r.Details = &types.ResourceDetails{AwsRdsDbInstance: d}
	return r
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func noun(k plan.Kind) string {
	if k == plan.KindCluster {
		return "RDS DB cluster"
	}
	return "RDS DB instance"
}

// title is the check's statement, the same whatever the result: Security
// Hub lists findings by title, and the resource has its own column.
func title(k plan.Kind, check string) string {
	switch check {
	case result.CheckTLS:
		return noun(k) + " should refuse unencrypted connections"
	case result.CheckProfile:
		return noun(k) + " should accept only current TLS versions and ciphers"
	case result.CheckCA:
		return noun(k) + " should use a current server certificate authority"
	}
	return noun(k) + " should pass forcessl check " + check
}

func description(res result.Resource, c result.Check, st Status) string {
	detail := c.Detail
	if detail == "" {
		detail = res.Reason
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", noun(res.Kind), res.Name, detail)
	switch st {
	case Scheduled:
		fmt.Fprintf(&b, ". The fix takes effect at %s.", reboot(res))
	case Failed:
		if res.Error != "" {
			fmt.Fprintf(&b, ". forcessl failed: %s", res.Error)
		}
	}
	return b.String()
}

// reboot names the reboot that puts a fix in effect.
func reboot(res result.Resource) string {
	if res.RebootAt == nil {
		return "the restart forcessl has just made"
	}
	return "the reboot forcessl has scheduled for " + res.RebootAt.UTC().Format(time.RFC3339) + " (maintenance window)"
}

// recommendation says what to do, and what forcessl does, for a check.
func recommendation(src Source, res result.Resource, c result.Check, st Status) string {
	what := "Require TLS in the " + strings.TrimPrefix(noun(res.Kind), "RDS ") + "'s parameter group"
	if req, ok := policy.For(res.Engine); ok {
		what = fmt.Sprintf("Set %s=%s in a custom parameter group of the %s", req.Parameter, req.Value, strings.TrimPrefix(noun(res.Kind), "RDS "))
	}
	switch c.Name {
	case result.CheckTLS:
	case result.CheckProfile:
		what = "Turn off old TLS versions and weak ciphers in the parameter group (FORCESSL_TLS_PROFILE=modern does it)"
	case result.CheckCA:
		what = "Move the server certificate to a current certificate authority (FORCESSL_CA lets forcessl do it at its reboot)"
	default:
		what = "See the forcessl documentation for this check"
	}
	exempt := ""
	if src.ExemptTag != "" {
		exempt = " To accept the risk, tag it " + src.ExemptTag + "=true."
	}
	switch st {
	case Passed:
		if src.Mode == policy.ModeEnforce {
			return "No action needed; forcessl keeps it so."
		}
		return "No action needed."
	case Scheduled:
		if res.RebootAt == nil {
			return "No action needed: forcessl has made the change and restarted it; the next check confirms it."
		}
		return "No action needed: forcessl has made the change; it takes effect at " + reboot(res) + ". Reboot it yourself to apply it sooner."
	}
	text := what + ", then reboot it."
	switch {
	case src.Mode != policy.ModeEnforce && c.Name != result.CheckCA:
		text = what + ", then reboot it; or run forcessl in enforce mode (FORCESSL_MODE=enforce) to do it in the maintenance window."
	case res.Failed() || res.Outcome == plan.OutcomeRefused || res.Outcome == plan.OutcomeUntrusted:
		text = "forcessl will not do it without a person (see the description). " + text
	case res.State == plan.NotReady:
		text = what + ", then reboot it; forcessl does it once the " + strings.TrimPrefix(noun(res.Kind), "RDS ") + " is available."
	}
	return text + exempt
}

// Exemption is the note an exempt resource's findings are suppressed with,
// and whether the resource is exempt.
func Exemption(res result.Resource) (string, bool) {
	if res.State != plan.Exempt {
		return "", false
	}
	return cut("Exempt from forcessl ("+res.Reason+"): forcessl no longer judges or changes it; compliance as last seen.", MaxNote), true
}

// Archive is the document that retires a finding forcessl no longer
// makes: the check was turned off, or the resource left forcessl's scope.
// It keeps the identity and marks the record ARCHIVED, which only the
// provider may do (RecordState "can only be updated by BatchImportFindings").
func Archive(src Source, res result.Resource, check, why string) Finding {
	arn := ResourceARN(src, res)
	d := types.AwsSecurityFinding{
		SchemaVersion: aws.String(SchemaVersion),
		Id:            aws.String(ID(arn, check)),
		ProductArn:    aws.String(src.Product()),
		GeneratorId:   aws.String(GeneratorPrefix + check),
		AwsAccountId:  aws.String(src.Account),
		CompanyName:   aws.String(Name),
		ProductName:   aws.String(Name),
		Title:         aws.String(cut(title(res.Kind, check), MaxTitle)),
		Description:   aws.String(cut(noun(res.Kind)+" "+res.Name+": no longer checked by forcessl: "+why, MaxDescription)),
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: types.SeverityLabelInformational, Original: aws.String("info")},
			Types:    []string{FindingType},
		},
		Compliance:    &types.Compliance{Status: types.ComplianceStatusNotAvailable},
		Resources:     []types.Resource{resource(src, res, arn)},
		ProductFields: map[string]string{FieldCheck: check, FieldStatus: string(Archived), FieldState: string(res.State), FieldMode: string(src.Mode)},
		RecordState:   types.RecordStateArchived,
	}
	Stamp(&d, src.Now, time.Time{}, src.Now)
	return seal(Finding{Check: check, Status: Archived, Doc: d})
}

// Exempt is an existing finding as forcessl keeps it while its resource is
// exempt: the content as Security Hub has it (compliance, severity), with
// forcessl's status field saying exempt and a fresh update time, so it is
// not deleted after 90 days.
func Exempt(existing types.AwsSecurityFinding) Finding {
	d := Owned(existing)
	d.ProductFields[FieldStatus] = string(Exempted)
	d.Remediation = &types.Remediation{Recommendation: &types.Recommendation{Text: aws.String(
		"Exempt: forcessl no longer judges or changes this resource, and keeps its last compliance here. Remove the exemption tag to have it checked again."),
		Url: aws.String(RecommendationURL)}}
	f := seal(Finding{Check: d.ProductFields[FieldCheck], Status: Exempted, Doc: d})
	return f
}

// Owned is an existing finding reduced to what forcessl imports: the
// fields Security Hub, and customers, own are dropped (workflow, note,
// top-level severity and types, Security Hub's product fields...).
func Owned(e types.AwsSecurityFinding) types.AwsSecurityFinding {
	d := types.AwsSecurityFinding{
		SchemaVersion: e.SchemaVersion, Id: e.Id, ProductArn: e.ProductArn, GeneratorId: e.GeneratorId, AwsAccountId: e.AwsAccountId,
		CompanyName: aws.String(Name), ProductName: aws.String(Name), Title: e.Title, Description: e.Description,
		FindingProviderFields: e.FindingProviderFields, Compliance: e.Compliance, Remediation: e.Remediation, Resources: e.Resources,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, RecordState: e.RecordState, ProductFields: map[string]string{},
	}
	if d.Compliance != nil {
		d.Compliance = &types.Compliance{Status: d.Compliance.Status}
	}
	for k, v := range e.ProductFields {
		if strings.HasPrefix(k, GeneratorPrefix) {
			d.ProductFields[k] = v
		}
	}
	return d
}

// AsNew gives a finding Security Hub does not have yet the top-level
// Severity and Types beside FindingProviderFields: the ASFF
// required-attributes page lists both as required, and for a new finding
// the top-level fields and FindingProviderFields then carry the same
// values. A re-import leaves them out: providers "should not use
// BatchImportFindings to update ... Severity, Types. Instead, finding
// providers use FindingProviderFields" (BatchImportFindings API reference;
// FindingProviderFields API reference: customers update the top-level
// fields with BatchUpdateFindings), so a customer's own severity stands.
func AsNew(d *types.AwsSecurityFinding) {
	fpf := d.FindingProviderFields
	if fpf == nil {
		return
	}
	if s := fpf.Severity; s != nil {
		d.Severity = &types.Severity{Label: s.Label, Original: s.Original}
	}
	d.Types = append([]string(nil), fpf.Types...)
}
