// Package notify says what forcessl did, in words: it renders one Notice as
// an email body, an AWS Chatbot custom notification and a machine-readable
// record. It is pure; pkg/publish sends the rendered Message through SNS.
package notify

import (
	"encoding/json"
	"fmt"
	"time"

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
	// Kind is db-cluster for a DB cluster (Instance then names the
	// cluster); its members and their statuses are listed, and MultiAZ
	// says it restarts as a whole.
	Kind    plan.Kind `json:"kind,omitempty"`
	Members []Member  `json:"members,omitempty"`
	MultiAZ bool      `json:"multiAZ,omitempty"`
}

// Member is one DB instance of a cluster as a notice shows it.
type Member struct {
	ID          string `json:"id"`
	Writer      bool   `json:"writer"`
	Status      string `json:"status"`
	ApplyStatus string `json:"parameterApplyStatus"`
}

func (m Member) String() string {
	role := "reader"
	if m.Writer {
		role = "writer"
	}
	return fmt.Sprintf("%s (%s): %s, cluster parameters %s", m.ID, role, m.Status, m.ApplyStatus)
}

func (n Notice) cluster() bool { return n.Kind == plan.KindCluster }

// noun is what the resource is called in sentences.
func (n Notice) noun() string {
	if n.cluster() {
		return "cluster"
	}
	return "instance"
}

// arn is the resource's ARN, built when the notice lacks it.
func (n Notice) arn() string {
	if n.InstanceARN != "" {
		return n.InstanceARN
	}
	kind := "db"
	if n.cluster() {
		kind = "cluster"
	}
	return fmt.Sprintf("arn:aws:rds:%s:%s:%s:%s", n.Region, n.Account, kind, n.Instance)
}

// Severity is a coarse level for subscription filters and chat.
func (n Notice) Severity() string {
	if n.Report {
		return "high"
	}
	switch n.Outcome {
	case plan.OutcomeRefused, plan.OutcomeFailed, OutcomeTripwire, plan.OutcomeBreakerOpen, plan.OutcomeUntrusted:
		return "high"
	case plan.OutcomeRebooted, plan.OutcomeVerified:
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

// MaxPublishBytes is the most SNS accepts in one Publish by default: "a
// message can be at most 256 KiB in size (262,144 bytes, not 262,144
// characters)", and "Amazon SNS validates the combined size of the message
// body and message attributes" (aws-sdk-go-v2 service/sns v1.48.0,
// api_op_Publish.go, PublishInput.Message). A topic's MaximumMessageSize can
// raise it to 1 MiB; forcessl does not assume that. Size measures a Message
// against it.
const MaxPublishBytes = 256 * 1024

// attributeType is the SNS data type pkg/publish gives every attribute.
const attributeType = "String"

// Size is what SNS counts against MaxPublishBytes for m: the
// MessageStructure=json body (every protocol's copy) plus each attribute's
// name, data type and value.
func (m Message) Size() (int, error) {
	body, err := m.Body()
	if err != nil {
		return 0, err
	}
	n := len(body)
	for k, v := range m.Attributes {
		n += len(k) + len(attributeType) + len(v)
	}
	return n, nil
}

// Body is the MessageStructure=json document SNS receives for m, one body
// per protocol: email subscribers get the text, AWS Chatbot (an https
// subscriber) the custom-notification JSON, SQS and Lambda subscribers the
// record. SNS's size limit applies to it together with the attributes.
func (m Message) Body() (string, error) {
	body, err := json.Marshal(map[string]string{
		"default": m.Email, "email": m.Email, "https": string(m.Chatbot), "sqs": string(m.Record), "lambda": string(m.Record),
	})
	return string(body), err
}

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
		if n.Outcome == plan.OutcomeCAFinding || n.Outcome == plan.OutcomeCAUpdate {
			return fmt.Sprintf("The server certificate of %s needs a new CA (report mode: nothing changed)", n.Instance)
		}
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
	case plan.OutcomeUntrusted:
		return fmt.Sprintf("%s is on a forcessl group someone else changed: action needed", n.Instance)
	case plan.OutcomeHeadsUp:
		when := "soon"
		if n.RebootAt != nil {
			when = n.RebootAt.UTC().Format("Mon 2006-01-02 15:04 UTC")
		}
		return fmt.Sprintf("Heads-up: %s restarts %s; clients without TLS are refused afterwards", n.Instance, when)
	case plan.OutcomeCAFinding:
		return fmt.Sprintf("The server certificate of %s needs a new CA: action needed", n.Instance)
	case plan.OutcomeCAUpdate:
		return fmt.Sprintf("New server certificate CA for %s in its maintenance window", n.Instance)
	case plan.OutcomePaused:
		return fmt.Sprintf("forcessl is paused: %s not changed", n.Instance)
	case plan.OutcomeBreakerOpen:
		return fmt.Sprintf("Breaker open: %s did not come back after forcessl's reboot; reboots in %s stopped", n.Instance, n.Account)
	}
	return fmt.Sprintf("forcessl: %s %s", n.Instance, n.Outcome)
}

// subject is "[forcessl] <outcome> <instance> (<account> <region>)": ASCII,
// on one line and at most MaxSubject bytes; a long instance name is
// shortened, the account and region are kept.
func subject(n Notice) string {
	return Subject("[forcessl] "+n.OutcomeName()+" ", n.Instance, fmt.Sprintf(" (%s %s)", n.Account, n.Region))
}
