// Package mototest runs moto (the AWS emulator) for integration tests and
// seeds what moto lacks. Tests only: production code never imports it.
//
// moto must be installed (pip install 'moto[server]'); when it is not, the
// tests fail loudly rather than skip, so CI can never pass without running
// them.
package mototest

import (
	"context"
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/forcessl/forcessl/pkg/setup"
)

// TB is the part of TB the helpers use, so the demo can use them too.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Account is moto's default account.
const Account = "123456789012"

// Region used by the tests.
const Region = "us-east-1"

// Server is a running moto.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	script   string
}

// serverPy runs moto.server with the gaps moto_server.py describes closed.
//
//go:embed moto_server.py
var serverPy []byte

// serverScript writes moto_server.py where python can run it.
func serverScript() (string, error) {
	f, err := os.CreateTemp("", "forcessl-moto-*.py")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(serverPy); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// Start launches moto's server (moto_server.py) on a free loopback port and waits
// until it answers. Call Stop when done.
func Start() (*Server, error) {
	python := os.Getenv("FORCESSL_PYTHON")
	if python == "" {
		python = "python3"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	script, err := serverScript()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(python, script, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto (%s %s): %w", python, script, err)
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, script: script}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Generous: on a loaded 2-core machine python takes a while to import moto.
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("moto exited at start (is it installed? pip install 'moto[server]'): %v", err)
		default:
		}
		if resp, err := http.Get(s.Endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("moto did not answer on %s within 3 minutes", s.Endpoint)
}

// Main is a test binary's TestMain: it starts moto into *s, runs the
// tests and stops moto. Without moto it fails the whole binary, loudly.
func Main(m *testing.M, s **Server) {
	var err error
	if *s, err = Start(); err != nil {
		fmt.Fprintln(os.Stderr, "these tests need moto:", err)
		os.Exit(1)
	}
	code := m.Run()
	(*s).Stop()
	os.Exit(code)
}

// Stop ends moto.
func (s *Server) Stop() {
	if s != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = os.Remove(s.script)
	}
}

// Reset wipes moto's state between tests.
func (s *Server) Reset(t TB) {
	t.Helper()
	resp, err := http.Post(s.Endpoint+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	resp.Body.Close()
}

// Config is an SDK config for moto: static test credentials and the moto
// endpoint for every service, loaded through the same function production
// uses.
func (s *Server) Config(t TB) aws.Config {
	t.Helper()
	cfg, err := setup.LoadAWS(context.Background(), awsconfig.WithRegion(Region), awsconfig.WithBaseEndpoint(s.Endpoint),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatalf("%v", err)
	}
	return cfg
}

// SeedTLSParameter writes the TLS parameter into a group the way RDS lists
// it, since moto's default groups come back empty. For SQL Server the
// shape follows a real DescribeDBParameters entry (static, pending-reboot).
func SeedTLSParameter(t TB, c *rds.Client, group, name, value, applyType string) {
	t.Helper()
	method := rdstypes.ApplyMethodPendingReboot
	if applyType == "dynamic" {
		method = rdstypes.ApplyMethodImmediate
	}
	_, err := c.ModifyDBParameterGroup(context.Background(), &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: aws.String(group),
		Parameters: []rdstypes.Parameter{{
			ParameterName: aws.String(name), ParameterValue: aws.String(value), ApplyMethod: method,
			ApplyType: aws.String(applyType), Source: aws.String("system"), DataType: aws.String("boolean"),
			AllowedValues: aws.String("0,1"), IsModifiable: aws.Bool(true),
		}},
	})
	if err != nil {
		t.Fatalf("seed %s in %s: %v", name, group, err)
	}
}

// CreateInstance creates an instance and returns its default parameter group
// as moto names it.
func CreateInstance(t TB, c *rds.Client, id, engine, group string, tags map[string]string) string {
	t.Helper()
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), Engine: aws.String(engine), DBInstanceClass: aws.String("db.m5.large"),
		MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("not-a-secret-123"),
		AllocatedStorage: aws.Int32(20), PreferredMaintenanceWindow: aws.String("sun:05:00-sun:05:30"),
	}
	if group != "" {
		in.DBParameterGroupName = aws.String(group)
	}
	for k, v := range tags {
		in.Tags = append(in.Tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := c.CreateDBInstance(context.Background(), in)
	if err != nil {
		t.Fatalf("create instance %s: %v", id, err)
	}
	return aws.ToString(out.DBInstance.DBParameterGroups[0].DBParameterGroupName)
}

// Inbox is an SQS queue subscribed to an SNS topic: how tests read what
// forcessl published.
type Inbox struct {
	TopicARN string
	queueURL string
	sqs      *sqs.Client
}

// NewInbox creates a topic and a queue subscribed to it.
func NewInbox(t TB, cfg aws.Config) *Inbox {
	t.Helper()
	ctx := context.Background()
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("forcessl")})
	if err != nil {
		t.Fatalf("%v", err)
	}
	q := sqs.NewFromConfig(cfg)
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("forcessl-inbox")})
	if err != nil {
		t.Fatalf("%v", err)
	}
	_, err = sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:" + Region + ":" + Account + ":forcessl-inbox")})
	if err != nil {
		t.Fatalf("%v", err)
	}
	return &Inbox{TopicARN: aws.ToString(topic.TopicArn), queueURL: aws.ToString(queue.QueueUrl), sqs: q}
}

// Drain returns every message body delivered so far (the SNS envelope JSON).
func (in *Inbox) Drain(t TB) []string {
	t.Helper()
	var bodies []string
	for {
		out, err := in.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(in.queueURL), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			t.Fatalf("%v", err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
		}
	}
}

// ConfigAs is an SDK config acting in another account and region: moto
// picks the account from the x-moto-account-id header.
func (s *Server) ConfigAs(t TB, account, region string) aws.Config {
	t.Helper()
	cfg := s.Config(t)
	cfg.Region = region
	if account == Account {
		return cfg
	}
	cfg.APIOptions = append(cfg.APIOptions, smithyhttp.AddHeaderValue("x-moto-account-id", account))
	return cfg
}

// Role creates an IAM role in an account, as the StackSet creates the
// remediation role in each member account: AssumeRole of a role that does
// not exist is refused (moto_server.py), as on AWS.
func (s *Server) Role(t TB, account, name string) {
	t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + Account + `:root"},"Action":"sts:AssumeRole"}]}`
	_, err := iam.NewFromConfig(s.ConfigAs(t, account, Region)).CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("create role %s in %s: %v", name, account, err)
	}
}

// CreateStateTable creates forcessl's state table with its public key
// schema (what the CDK app creates: pk and sk strings, on demand) and TTL
// on the ttl attribute.
func CreateStateTable(t TB, cfg aws.Config, name string) *dynamodb.Client {
	t.Helper()
	c := dynamodb.NewFromConfig(cfg)
	ctx := context.Background()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)}})
	if err != nil {
		t.Fatalf("enable TTL: %v", err)
	}
	return c
}
