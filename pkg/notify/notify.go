// Package notify tells people what forcessl did: it renders one Notice as an
// email body, an AWS Chatbot custom notification and a machine-readable
// record (pure), and publishes them in one SNS message.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/forcessl/forcessl/pkg/plan"
)

// Notice is one state change worth telling people about.
type Notice struct {
	Outcome     plan.Outcome `json:"outcome"`
	Report      bool         `json:"reportMode"` // report mode: nothing was changed
	Account     string       `json:"account"`
	Region      string       `json:"region"`
	Instance    string       `json:"instance"`
	InstanceARN string       `json:"instanceArn,omitempty"`
	Engine      string       `json:"engine,omitempty"`
	State       plan.State   `json:"state"`
	Reason      string       `json:"reason"`
	Parameter   string       `json:"parameter,omitempty"`
	Group       string       `json:"parameterGroup,omitempty"`
	NewGroup    string       `json:"compliantParameterGroup,omitempty"`
	Actions     []string     `json:"actions,omitempty"`
	RebootAt    *time.Time   `json:"rebootAt,omitempty"`
	Window      string       `json:"maintenanceWindow,omitempty"`
	ExemptTag   string       `json:"exemptTag"`
	Error       string       `json:"error,omitempty"`
}

// Severity is a coarse level for subscription filters and chat.
func (n Notice) Severity() string {
	switch {
	case n.Report, n.Outcome == plan.OutcomeRefused, n.Outcome == plan.OutcomeFailed:
		return "high"
	case n.Outcome == plan.OutcomeRebooted, n.Outcome == plan.OutcomeVerified:
		return "info"
	}
	return "medium"
}

// OutcomeName is the outcome as subscribers filter on it; report mode's
// findings are their own outcome so they can be routed apart.
func (n Notice) OutcomeName() string {
	if n.Report {
		return "report-finding"
	}
	return string(n.Outcome)
}

// Message is a rendered notice.
type Message struct {
	Subject    string
	Email      string
	Chatbot    []byte
	Record     []byte
	Attributes map[string]string
}

const maxSubject = 99 // SNS: "less than 100 characters"

// Render builds every shape of a notice.
func Render(n Notice) (Message, error) {
	chat, err := json.Marshal(chatbot(n))
	if err != nil {
		return Message{}, err
	}
	rec, err := json.Marshal(struct {
		Notice
		Severity string `json:"severity"`
		Outcome  string `json:"outcome"`
		Subject  string `json:"subject"`
		Text     string `json:"text"` // the email body, for integrations that forward it
	}{n, n.Severity(), n.OutcomeName(), subject(n), email(n)})
	if err != nil {
		return Message{}, err
	}
	return Message{
		Subject: subject(n),
		Email:   email(n),
		Chatbot: chat,
		Record:  rec,
		Attributes: map[string]string{
			"outcome": n.OutcomeName(), "severity": n.Severity(), "account": n.Account,
		},
	}, nil
}

func title(n Notice) string {
	if n.Report {
		return fmt.Sprintf("%s accepts unencrypted connections (report mode: nothing changed)", n.Instance)
	}
	switch n.Outcome {
	case plan.OutcomeRemediated:
		if n.RebootAt != nil {
			return fmt.Sprintf("TLS enforcement set on %s; reboot %s", n.Instance, n.RebootAt.UTC().Format("Mon 2006-01-02 15:04 UTC"))
		}
		return fmt.Sprintf("TLS enforcement set on %s; takes effect after a reboot", n.Instance)
	case plan.OutcomeRebootPlanned:
		return fmt.Sprintf("Reboot of %s scheduled to put TLS enforcement into effect", n.Instance)
	case plan.OutcomeRebooted:
		return fmt.Sprintf("%s rebooted to put TLS enforcement into effect", n.Instance)
	case plan.OutcomePostponed:
		return fmt.Sprintf("Reboot of %s postponed to its next maintenance window", n.Instance)
	case plan.OutcomeVerified:
		return fmt.Sprintf("TLS enforced on %s (verified after restart)", n.Instance)
	case plan.OutcomeRefused:
		return fmt.Sprintf("forcessl will not change %s without you: action needed", n.Instance)
	case plan.OutcomeFailed:
		return fmt.Sprintf("forcessl could not finish on %s: action needed", n.Instance)
	}
	return fmt.Sprintf("forcessl: %s %s", n.Instance, n.Outcome)
}

// subject is "[forcessl] <outcome> <instance> (<account> <region>)", always
// under 100 characters and on one line.
func subject(n Notice) string {
	suffix := fmt.Sprintf(" (%s %s)", n.Account, n.Region)
	head := "[forcessl] " + n.OutcomeName() + " "
	inst := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n.Instance)
	if room := maxSubject - utf8.RuneCountInString(head+suffix); utf8.RuneCountInString(inst) > room {
		inst = string([]rune(inst)[:max(room-1, 0)]) + "…"
	}
	return head + inst + suffix
}

func email(n Notice) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", title(n))
	line("")
	line("Instance:  %s (%s)", n.Instance, n.Engine)
	line("Account:   %s", n.Account)
	line("Region:    %s", n.Region)
	line("State:     %s", n.State)
	if n.Group != "" {
		line("Group:     %s", n.Group)
	}
	line("")
	line("What forcessl found:")
	line("  %s", n.Reason)
	if n.Error != "" {
		line("")
		line("Error:")
		line("  %s", n.Error)
	}
	if len(n.Actions) > 0 {
		line("")
		if n.Report {
			line("What forcessl would do in enforce mode (FORCESSL_MODE=enforce):")
		} else {
			line("What forcessl did:")
		}
		for _, a := range n.Actions {
			line("  - %s", a)
		}
	}
	if n.RebootAt != nil {
		line("")
		line("Reboot:")
		when := n.RebootAt.UTC().Format("Monday 2006-01-02 15:04 UTC")
		if n.Report {
			line("  forcessl would reboot it %s, the start of its maintenance window (%s).", when, n.Window)
		} else {
			line("  %s, the start of the instance's maintenance window (%s).", when, n.Window)
		}
		line("  The instance accepts unencrypted connections until it has rebooted. To reboot sooner yourself:")
		line("  aws rds reboot-db-instance --db-instance-identifier %s --region %s", n.Instance, n.Region)
	}
	if !n.Report && n.Outcome == plan.OutcomeRemediated && n.NewGroup != "" && n.NewGroup != n.Group {
		line("")
		line("Make future parameter changes in %s, which replaced %s on this instance.", n.NewGroup, n.Group)
	}
	line("")
	line("To exempt this instance (forcessl then never touches it):")
	arn := n.InstanceARN
	if arn == "" {
		arn = fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", n.Region, n.Account, n.Instance)
	}
	line("  aws rds add-tags-to-resource --region %s --resource-name %s --tags Key=%s,Value=true", n.Region, arn, n.ExemptTag)
	line("")
	line("Console: https://%s.console.aws.amazon.com/rds/home?region=%s#database:id=%s", n.Region, n.Region, n.Instance)
	return b.String()
}

// chatbot renders a notice for AWS Chatbot (Amazon Q Developer in chat
// applications).
func chatbot(n Notice) map[string]any {
	desc := []string{fmt.Sprintf("*%s* (%s) in `%s` / `%s`", n.Instance, n.Engine, n.Account, n.Region), n.Reason}
	if n.Error != "" {
		desc = append(desc, "Error: "+n.Error)
	}
	for _, a := range n.Actions {
		desc = append(desc, "• "+a)
	}
	next := []string{}
	if n.RebootAt != nil {
		next = append(next, "Reboot scheduled "+n.RebootAt.UTC().Format("Mon 2006-01-02 15:04 UTC")+" (window "+n.Window+")")
	}
	switch {
	case n.Report:
		next = append(next, "Set FORCESSL_MODE=enforce to let forcessl fix it")
	case n.Outcome == plan.OutcomeRefused || n.Outcome == plan.OutcomeFailed:
		next = append(next, "Fix by hand, then re-run forcessl on the instance")
	}
	next = append(next, fmt.Sprintf("Exempt: tag `%s=true` on the instance", n.ExemptTag))
	resources := []string{}
	if n.InstanceARN != "" {
		resources = append(resources, n.InstanceARN)
	}
	return Chat{
		Title: title(n), Description: strings.Join(desc, "\n"), NextSteps: next,
		Keywords: []string{"forcessl", n.OutcomeName(), n.Account, n.Region},
		ThreadID: fmt.Sprintf("forcessl-%s-%s-%s", n.Account, n.Region, n.Instance), EventType: "forcessl." + n.OutcomeName(),
		Resources: resources,
		Context:   map[string]string{"account": n.Account, "region": n.Region, "outcome": n.OutcomeName(), "severity": n.Severity()},
	}.Schema()
}

// Chat is one AWS Chatbot custom notification.
type Chat struct {
	Title, Description  string
	NextSteps, Keywords []string
	ThreadID, EventType string
	Resources           []string
	Context             map[string]string
}

// Schema renders the documented custom-notification schema: version 1.0,
// source custom (anything else is dropped by Chatbot); threadId groups the
// messages about one thing into one chat thread.
func (c Chat) Schema() map[string]any {
	if c.NextSteps == nil {
		c.NextSteps = []string{}
	}
	if c.Resources == nil {
		c.Resources = []string{}
	}
	return map[string]any{
		"version": "1.0",
		"source":  "custom",
		"content": map[string]any{
			"textType": "client-markdown", "title": c.Title, "description": c.Description,
			"nextSteps": c.NextSteps, "keywords": c.Keywords,
		},
		"metadata": map[string]any{
			"threadId": c.ThreadID, "summary": c.Title, "eventType": c.EventType,
			"relatedResources": c.Resources, "additionalContext": c.Context,
		},
	}
}

// SNS is the part of the SNS API the publisher uses.
type SNS interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Publisher sends notices to one topic.
type Publisher struct {
	SNS      SNS
	TopicARN string
}

// Publish renders a notice and sends it.
func (p Publisher) Publish(ctx context.Context, n Notice) error {
	m, err := Render(n)
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
func (p Publisher) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(map[string]string{
		"default": m.Email, "email": m.Email, "https": string(m.Chatbot), "sqs": string(m.Record), "lambda": string(m.Record),
	})
	if err != nil {
		return err
	}
	attrs := map[string]types.MessageAttributeValue{}
	for k, v := range m.Attributes {
		attrs[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	_, err = p.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.TopicARN), Subject: aws.String(m.Subject), Message: aws.String(string(body)),
		MessageStructure: aws.String("json"), MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("publish to %s: %w", p.TopicARN, err)
	}
	return nil
}
