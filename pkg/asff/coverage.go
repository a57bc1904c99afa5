package asff

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// CoverageResource is the ASFF identifier of an account as a resource
// (type AwsAccount, as AWS's own account-level control findings name it).
func CoverageResource(account string) string { return "AWS::::Account:" + account }

// CoverageID is the identifier of the coverage finding of an account and
// Region.
func CoverageID(account, region string) string {
	return ID(CoverageResource(account)+"/"+region, CheckCoverage)
}

// Coverage is the finding that says whether forcessl could read an account
// and Region (a sweep's coverage), made for src: the central account and
// its home Region. Imported there, not in the member account: the member's
// hub is exactly what cannot be reached when its role is refused or its
// Region is not enabled, and the gap is a property of forcessl's own
// deployment. A Security Hub administrator sees it either way.
func Coverage(src Source, account, region string, covered bool, why string) Finding {
	st, compliance := Failed, types.ComplianceStatusFailed
	label, original := types.SeverityLabelHigh, "high"
	desc := "forcessl could not read account " + account + " in Region " + region + ": " + why +
		". Its RDS resources are unknown, not compliant: nothing there is checked or fixed until this is resolved."
	rec := "Make sure the member role exists in account " + account + " (the StackSet deploys it) and trusts the central account, " +
		"that the function's role may assume it, and that Region " + region + " is enabled; or take the account or Region out of FORCESSL_ACCOUNTS / FORCESSL_REGIONS."
	if covered {
		st, compliance = Passed, types.ComplianceStatusPassed
		label, original = types.SeverityLabelInformational, "info"
		desc = "forcessl reads account " + account + " in Region " + region + "."
		rec = "No action needed."
	}
	d := types.AwsSecurityFinding{
		SchemaVersion: aws.String(SchemaVersion),
		Id:            aws.String(CoverageID(account, region)),
		ProductArn:    aws.String(src.Product()),
		GeneratorId:   aws.String(GeneratorPrefix + CheckCoverage),
		AwsAccountId:  aws.String(src.Account),
		CompanyName:   aws.String(Name),
		ProductName:   aws.String(Name),
		Title:         aws.String("forcessl should be able to read every account and Region in its scope"),
		Description:   aws.String(cut(desc, MaxDescription)),
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: label, Original: aws.String(original)},
			Types:    []string{FindingType},
		},
		Compliance:  &types.Compliance{Status: compliance},
		Remediation: &types.Remediation{Recommendation: &types.Recommendation{Text: aws.String(cut(rec, MaxRecommendation))}},
		Resources: []types.Resource{{Type: aws.String("AwsAccount"), Id: aws.String(CoverageResource(account)),
			Partition: types.Partition(PartitionOf(region)), Region: aws.String(region)}},
		ProductFields: map[string]string{FieldCheck: CheckCoverage, FieldStatus: string(st), FieldMode: string(src.Mode)},
		RecordState:   types.RecordStateActive,
	}
	Stamp(&d, src.Now, time.Time{}, src.Now)
	return seal(Finding{Check: CheckCoverage, Status: st, Doc: d})
}
