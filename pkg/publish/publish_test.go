package publish

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/plan"
)

var reboot = time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)

var notice = notify.Notice{Outcome: plan.OutcomeRemediated, Account: "123456789012", Region: "eu-west-1", Instance: "orders-sql",
	Engine: "sqlserver-se", State: plan.NonCompliant, Reason: "rds.force_ssl is 0", Parameter: "rds.force_ssl",
	Group: "default.sqlserver-se-15.0", ExemptTag: "forcessl:exempt", RebootAt: &reboot}

type fakeSNS struct{ in *sns.PublishInput }

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.in = in
	return &sns.PublishOutput{}, nil
}

func TestPublishOneMessagePerProtocol(t *testing.T) {
	f := &fakeSNS{}
	if err := (Publisher{SNS: f, TopicARN: "arn:aws:sns:eu-west-1:123456789012:forcessl"}).Publish(context.Background(), notice); err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(*f.in.Message), &body); err != nil || *f.in.MessageStructure != "json" {
		t.Fatalf("message structure: %v", err)
	}
	if !strings.HasPrefix(body["email"], "TLS enforcement set on orders-sql") || body["default"] != body["email"] {
		t.Errorf("email body %q", body["email"])
	}
	if !strings.Contains(body["https"], `"source":"custom"`) {
		t.Errorf("Chatbot body %q", body["https"])
	}
	if *f.in.MessageAttributes["outcome"].StringValue != "remediated" || *f.in.MessageAttributes["account"].StringValue != "123456789012" {
		t.Errorf("attributes %+v", f.in.MessageAttributes)
	}
	if size := len(*f.in.Message); size > 256*1024 {
		t.Errorf("message of %d bytes exceeds SNS's 256 KiB", size)
	}
}
