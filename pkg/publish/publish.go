// Package publish sends forcessl's rendered messages to its SNS topic: one
// publish per message, with a body per protocol. The words are
// pkg/notify's; this package only talks to SNS.
package publish

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/forcessl/forcessl/pkg/notify"
)

// SNS is the part of the SNS API the publisher uses.
type SNS interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Publisher sends to one topic. It serves both per-resource notices and
// sweep digests.
type Publisher struct {
	SNS      SNS
	TopicARN string
}

// Publish renders a notice and sends it.
func (p Publisher) Publish(ctx context.Context, n notify.Notice) error {
	m, err := notify.Render(n)
	if err != nil {
		return fmt.Errorf("render notice for %s: %w", n.Instance, err)
	}
	if err := p.Send(ctx, m); err != nil {
		return fmt.Errorf("notice for %s: %w", n.Instance, err)
	}
	return nil
}

// Send publishes one message with a body per protocol (MessageStructure
// json): email subscribers get the text, AWS Chatbot (an https subscriber)
// the custom-notification JSON, SQS and Lambda subscribers the record.
// Message attributes are set for subscription filter policies.
func (p Publisher) Send(ctx context.Context, m notify.Message) error {
	body, err := m.Body()
	if err != nil {
		return err
	}
	attrs := map[string]types.MessageAttributeValue{}
	for k, v := range m.Attributes {
		attrs[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	_, err = p.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.TopicARN), Subject: aws.String(m.Subject), Message: aws.String(body),
		MessageStructure: aws.String("json"), MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("publish to %s: %w", p.TopicARN, err)
	}
	return nil
}
