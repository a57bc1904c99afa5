package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awschatbot"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NotificationsProps configure where forcessl's findings and alarms go.
type NotificationsProps struct {
	Emails           []string // each gets an email subscription (to be confirmed by its owner)
	SlackWorkspaceID string   // with SlackChannelID: an AWS Chatbot Slack channel
	SlackChannelID   string
}

// Notifications is an SNS topic encrypted with its own customer managed key,
// reachable over TLS only, fanned out to email and (optionally) Slack. The
// function publishes to it (GrantPublish), and every alarm notifies it
// (NewAlarm).
type Notifications struct {
	constructs.Construct
	Topic awssns.Topic
	Key   awskms.Key
	Slack awschatbot.SlackChannelConfiguration // nil when Slack is not configured
}

// keyAdminActions are what the account (through IAM policies) may do to
// manage the key: everything CloudFormation needs to create, update, read
// and delete it, plus the policy actions that keep it manageable. Named one
// by one instead of the usual kms:*, which would also let any IAM principal
// with kms permissions use the key for cryptography without this policy
// saying so.
var keyAdminActions = []string{
	"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
	"kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
	"kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
	"kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy",
	"kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
	"kms:UpdateAlias", "kms:UpdateKeyDescription",
}

// NewNotifications builds the topic, its key and subscriptions.
func NewNotifications(scope constructs.Construct, id string, props NotificationsProps) *Notifications {
	c := constructs.NewConstruct(scope, &id)
	stack := awscdk.Stack_Of(c)
	// CloudWatch alarms of this account and region (any alarm name): the
	// source of the alarms' requests to SNS and, through SNS, to KMS.
	alarmsHere := &map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("cloudwatch"),
			Resource:     jsii.String("alarm"),
			ResourceName: jsii.String("*"),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
	}

	// In a key policy "Resource": "*" means "this key" and nothing else.
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("KeyAdministrationByAccount"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()},
				Actions:    jsii.Strings(keyAdminActions...),
				Resources:  jsii.Strings("*"),
			}),
			// CloudWatch alarms publish to the encrypted topic as the
			// cloudwatch.amazonaws.com service and need the data key (SNS
			// Developer Guide, "Enable compatibility between event sources
			// from AWS services and encrypted topics"). Only on behalf of
			// this account's alarms: the service principal's requests carry
			// the alarm as aws:SourceArn and its account as
			// aws:SourceAccount, as they do to SNS (AWS Knowledge Center,
			// "cloudwatch-receive-sns-for-alarm-trigger": the publishing
			// resource is arn:…:cloudwatch:<region>:<account>:alarm:<name>;
			// "cloudwatch-configure-alarm-sns": the key statement may carry
			// such a condition). The same conditions as the topic policy's.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("CloudWatchAlarmsPublishToTopic"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
				Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
				Resources:  jsii.Strings("*"),
				Conditions: alarmsHere,
			}),
		},
	})
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("forcessl: encrypts the notification topic"),
		EnableKeyRotation: jsii.Bool(true),
		Policy:            policy,
		// Only transient SNS messages are encrypted with it; nothing outlives the stack.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		PendingWindow: awscdk.Duration_Days(jsii.Number(7)),
	})

	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("forcessl"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	// An explicit topic policy replaces the default one; CloudWatch alarms of
	// this account must still be able to publish.
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: alarmsHere,
	}))

	for _, e := range props.Emails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}

	n := &Notifications{Construct: c, Topic: topic, Key: key}
	if props.SlackWorkspaceID != "" {
		// The channel role gets no permissions and the guardrail is
		// AWSDenyAll: the channel only receives notifications, nobody can
		// run AWS commands from Slack. Without a guardrail CloudFormation
		// applies AdministratorAccess.
		role := awsiam.NewRole(c, jsii.String("SlackChannelRole"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("chatbot.amazonaws.com"), nil),
			Description: jsii.String("forcessl Chatbot channel: notifications only, no permissions"),
		})
		n.Slack = awschatbot.NewSlackChannelConfiguration(c, jsii.String("Slack"), &awschatbot.SlackChannelConfigurationProps{
			SlackChannelConfigurationName: awscdk.Fn_Sub(jsii.String("${AWS::StackName}-${AWS::Region}"), nil), // Chatbot names are account-wide,
			SlackWorkspaceId:              jsii.String(props.SlackWorkspaceID),
			SlackChannelId:                jsii.String(props.SlackChannelID),
			NotificationTopics:            &[]awssns.ITopic{topic},
			Role:                          role,
			GuardrailPolicies: &[]awsiam.IManagedPolicy{
				awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AWSDenyAll")),
			},
			LoggingLevel: awschatbot.LoggingLevel_ERROR,
		})
	}
	return n
}

// GrantPublish lets grantee publish to the topic: sns:Publish on the topic
// and the data key from KMS (only through SNS), in the grantee's policy and
// in the key policy.
func (n *Notifications) GrantPublish(role awsiam.IRole) {
	viaSNS := &map[string]any{
		"StringEquals": map[string]any{"kms:ViaService": awscdk.Fn_Sub(jsii.String("sns.${AWS::Region}.amazonaws.com"), nil)},
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PublishNotifications"),
		Actions:   jsii.Strings("sns:Publish"),
		Resources: &[]*string{n.Topic.TopicArn()},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EncryptNotifications"),
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  &[]*string{n.Key.KeyArn()},
		Conditions: viaSNS,
	}))
	n.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("RemediatorPublishesToTopic"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(role.RoleArn())},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"), // key policy: "*" is this key
		Conditions: viaSNS,
	}), nil)
}

// NewAlarm adds, in scope, an alarm that notifies the topic: one period of
// 5 minutes, missing data not breaching.
func (n *Notifications) NewAlarm(scope constructs.Construct, id, description string, metric awscloudwatch.IMetric,
	threshold float64, op awscloudwatch.ComparisonOperator) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: op,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(n.Topic))
	return a
}

// GrantRulesPublish lets the given EventBridge rules of this stack publish
// to the topic: sns:Publish for events.amazonaws.com on their behalf only
// (aws:SourceArn, the rule ARNs) in the topic policy, and the data key in
// the key policy.
//
// The key statement has no aws:Source* condition: the SNS guide's statement
// for AWS service event sources carries none, and for EventBridge the keys
// are reported absent from the KMS requests SNS makes on its behalf (AWS's
// Modern Data Architecture Accelerator documents the same choice), so a
// condition on them could drop every message silently. It admits only
// data-key use, and only for this topic: kms:EncryptionContext:aws:sns:topicArn,
// the encryption context SNS puts on every KMS request for a topic's
// messages (the form of the key policy statements AWS documents for service
// publishers of encrypted topics, e.g. Amazon GameLift's "Set up an SNS
// topic with server-side encryption"), so EventBridge cannot be made to use
// the key for another topic (a confused deputy); the topic's own policy
// admits only these rules.
func (n *Notifications) GrantRulesPublish(sid string, ruleArns []*string) {
	n.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{n.Topic.TopicArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArns}},
	}))
	n.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"), // key policy: "*" is this key
		Conditions: &map[string]any{
			"StringLike": map[string]any{"kms:EncryptionContext:aws:sns:topicArn": n.topicArnPattern()},
		},
	}), nil)
}

// topicArnPattern matches the topic's ARN without referring to the topic:
// the topic refers to the key, so a reference from the key policy would be
// a circular dependency. CloudFormation names a topic it names itself
// "<stack name>-<logical ID>-<random suffix>" (the generated physical names
// of the "Name type" page of the CloudFormation User Guide), so the stack's
// name and the topic's logical ID, in this account and region, leave only
// the suffix open.
func (n *Notifications) topicArnPattern() *string {
	stack := awscdk.Stack_Of(n.Construct)
	id := stack.GetLogicalId(n.Topic.Node().DefaultChild().(awscdk.CfnElement))
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":sns:"), stack.Region(),
		jsii.String(":"), stack.Account(), jsii.String(":"), stack.StackName(), jsii.String("-"), id, jsii.String("-*")})
}
