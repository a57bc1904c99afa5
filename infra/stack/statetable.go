package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/state/schema"
)

// stateTableActions are exactly the calls pkg/state makes (its API
// interface): GetItem, PutItem, UpdateItem, DeleteItem, Query, and
// TransactWriteItems. TransactWriteItems has no IAM action of its own: each
// of its items is authorized as the item action it performs ("Permissions for
// Put, Update, Delete, and Get actions are governed by the permissions used
// for the underlying PutItem, UpdateItem, DeleteItem, and GetItem
// operations", DynamoDB Developer Guide, "Using IAM with DynamoDB
// transactions"); the engine's transaction is a conditional Put and an
// Update, so PutItem and UpdateItem. dynamodb:ConditionCheckItem would only
// be needed for a ConditionCheck item, which the engine does not send.
var stateTableActions = []string{
	"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
}

// StateTable is forcessl's memory (pkg/state): one DynamoDB table in the
// central account holding intent, leases, notices, sweep runs and history.
// Its key schema and TTL attribute are the engine's own names
// (pkg/state/schema: the package pkg/state reads and writes them through,
// which links no SDK, so the CDK app can import it).
//
//   - On-demand capacity: a few reads and writes per event and work item,
//     nothing to provision.
//   - Point-in-time recovery: the table holds the intent behind pending
//     reboots and up to FORCESSL_HISTORY_DAYS of history; a bad write or a
//     deleted item can be restored from any second of the last 35 days.
//   - Encrypted with the AWS managed key aws/dynamodb: its use is logged in
//     CloudTrail and it needs no key policy (callers need no KMS permission:
//     the key policy admits this account's principals through DynamoDB);
//     cdk-nag's AwsSolutions pack asks for point-in-time recovery, not for a
//     customer managed key.
//   - Retained on stack deletion and deletion-protected: the history is
//     evidence and outlives the deployment.
type StateTable struct {
	constructs.Construct
	Table awsdynamodb.Table // the construct's default child
}

// NewStateTable builds the state table.
func NewStateTable(scope constructs.Construct, id string) *StateTable {
	t := &StateTable{Construct: constructs.NewConstruct(scope, &id)}
	t.Table = awsdynamodb.NewTable(t.Construct, jsii.String("Default"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(schema.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(schema.SortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		TimeToLiveAttribute: jsii.String(schema.TTLAttribute),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
		DeletionProtection:  jsii.Bool(true),
	})
	return t
}

// Grant lets role make exactly the engine's calls on this table (no index,
// no other table): the reads and writes of forcessl's own memory, in report
// mode as in enforce mode (a report still records what it has said, so it
// says it once).
func (t *StateTable) Grant(role awsiam.IRole) awsiam.PolicyStatement {
	st := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("UseStateTable"),
		Actions:   jsii.Strings(stateTableActions...),
		Resources: &[]*string{t.Table.TableArn()},
	})
	role.AddToPrincipalPolicy(st)
	return st
}
