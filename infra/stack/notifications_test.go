package stack

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestTopicAndKey(t *testing.T) {
	// GIVEN no context WHEN synthesized THEN the topic is encrypted with its
	// own rotated key, TLS-only, open to this account's alarms, and the key
	// lets the alarms and (through SNS) the function use it
	f := reportStack(t)
	topic := logicalID(f.stack, f.stack.Notifications.Topic)
	key := logicalID(f.stack, f.stack.Notifications.Key)
	f.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
		"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}},
	})
	f.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
		"Topics": []any{map[string]any{"Ref": topic}},
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			like(map[string]any{
				"Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			}),
			like(map[string]any{
				"Effect": "Allow", "Action": "sns:Publish",
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}, "ArnLike": assertions.Match_AnyValue()},
			}),
		})},
	})
	f.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
		"EnableKeyRotation": true,
		"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			// Only on behalf of this account's alarms, as in the topic policy.
			like(map[string]any{"Sid": "CloudWatchAlarmsPublishToTopic", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action": []any{"kms:Decrypt", "kms:GenerateDataKey"},
				"Condition": assertions.Match_ObjectEquals(&map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}},
					"ArnLike": map[string]any{"aws:SourceArn": map[string]any{"Fn::Join": []any{"", []any{
						"arn:", map[string]any{"Ref": "AWS::Partition"}, ":cloudwatch:", map[string]any{"Ref": "AWS::Region"}, ":",
						map[string]any{"Ref": "AWS::AccountId"}, ":alarm:*"}}}},
				})}),
			like(map[string]any{"Sid": "RemediatorPublishesToTopic",
				"Principal": map[string]any{"AWS": map[string]any{"Fn::GetAtt": []any{logicalID(f.stack, f.stack.Remediator.Role), "Arn"}}},
				"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey"}}),
			// EventBridge, for the tripwire rules: only for this topic
			// (kms:EncryptionContext:aws:sns:topicArn), no confused deputy.
			like(map[string]any{"Sid": "TripwireRulesPublish", "Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Action": []any{"kms:Decrypt", "kms:GenerateDataKey"},
				"Condition": assertions.Match_ObjectEquals(&map[string]any{"StringLike": map[string]any{
					"kms:EncryptionContext:aws:sns:topicArn": map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"},
						":sns:", map[string]any{"Ref": "AWS::Region"}, ":", map[string]any{"Ref": "AWS::AccountId"},
						":" + *f.stack.StackName() + "-" + logicalID(f.stack, f.stack.Notifications.Topic) + "-*"}}}}}),
			}),
		})},
	})
	f.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{like(map[string]any{
			"Effect": "Deny", "Action": "sqs:*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
}

func TestSubscriptionsAndSlack(t *testing.T) {
	// GIVEN emails and a Slack channel WHEN synthesized
	f := enforceStack(t)
	// THEN a subscription per address, a Chatbot channel on the topic
	// under AWSDenyAll, and a channel role with no permissions
	for _, e := range []string{"ops@example.com", "dba@example.com"} {
		f.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
			"Protocol": "email", "Endpoint": e,
			"TopicArn": map[string]any{"Ref": logicalID(f.stack, f.stack.Notifications.Topic)},
		})
	}
	f.template.HasResourceProperties(jsii.String("AWS::Chatbot::SlackChannelConfiguration"), map[string]any{
		"SlackWorkspaceId": "T0123ABCD",
		"SlackChannelId":   "C0123ABCD",
		"SnsTopicArns":     []any{map[string]any{"Ref": logicalID(f.stack, f.stack.Notifications.Topic)}},
		"GuardrailPolicies": []any{map[string]any{"Fn::Join": []any{"", []any{
			"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::aws:policy/AWSDenyAll"}}}},
	})
	// The Chatbot channel role has no permissions at all.
	slackRole := logicalID(f.stack, f.stack.Notifications.Slack.Role().(awscdk.IResource))
	for id, p := range f.resources("AWS::IAM::Policy") {
		for _, r := range p["Properties"].(map[string]any)["Roles"].([]any) {
			if r.(map[string]any)["Ref"] == slackRole {
				t.Errorf("policy %s is attached to the Chatbot channel role", id)
			}
		}
	}
	f.template.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]any{
		"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Action": "sts:AssumeRole", "Effect": "Allow",
			"Principal": map[string]any{"Service": "chatbot.amazonaws.com"},
		}}},
		"ManagedPolicyArns": assertions.Match_Absent(),
		"Policies":          assertions.Match_Absent(),
	})
}
