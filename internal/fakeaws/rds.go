// Package fakeaws is an in-process fake of the AWS behaviour moto does not
// model: parameter apply status (pending-reboot until a reboot), changes
// queued for the maintenance window, instances that are not available,
// default groups that refuse to be copied or modified, and Scheduler
// deleting a one-time schedule once it has fired. Written from the RDS API
// reference (see shared/reference/03-rds-api-semantics.md). The sweep,
// dispatch and reconcile tests share it; production code never imports it.
package fakeaws

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/smithy-go"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/policy"
)

// Param is one parameter of a group: its value, apply type and Source as
// DescribeDB(Cluster)Parameters reports them, and the AllowedValues it
// lists ("" when the fake lists none).
type Param struct{ Value, ApplyType, Source, AllowedValues string }

// Group is a parameter group.
type Group struct {
	Family string
	Params map[string]Param
	Tags   map[string]string
}

// Instance is a DB instance.
type Instance struct {
	ResourceID                                 string // DbiResourceId: survives renames
	Engine, Status, Group, ApplyStatus, Window string
	PendingMods                                bool
	Tags                                       map[string]string
	// A cluster member's cluster, its DBClusterParameterGroupStatus, and
	// whether it is the writer.
	Cluster, ClusterApplyStatus string
	Writer                      bool
	// CA and CertValidTill are the server certificate (CertificateDetails);
	// PendingCA a CA change queued for the window.
	CA, PendingCA string
	CertValidTill time.Time
}

// DefaultCertValidTill is when a fake instance's server certificate
// expires unless a test says otherwise: well after the tests' clock.
var DefaultCertValidTill = time.Date(2027, 11, 1, 0, 0, 0, 0, time.UTC)

// AWS is the fake: one account and region of RDS, and Scheduler.
type AWS struct {
	Account, Region string

	mu        sync.Mutex
	Instances map[string]*Instance
	Groups    map[string]*Group
	// Clusters and ClusterGroups: DB cluster parameter groups are a
	// namespace of their own.
	Clusters      map[string]*Cluster
	ClusterGroups map[string]*Group
	Schedules     map[string]*scheduler.CreateScheduleInput
	Calls         []string
	Modifies      []*rds.ModifyDBInstanceInput
	Reboots       []*rds.RebootDBInstanceInput
	// ClusterReboots records RebootDBCluster calls.
	ClusterReboots []*rds.RebootDBClusterInput
	// FailNext makes the next call of an operation fail with an error, once.
	FailNext map[string]error
	// FailAfter makes the next call of an operation take effect and then
	// fail with an error, once: a timeout or a 5xx whose request RDS did
	// carry out (the client cannot tell).
	FailAfter map[string]error
	// hub is Security Hub in the same account and Region (see Hub).
	hub *SecurityHub
	// Events is RDS's event log (DescribeEvents): every restart, whoever
	// made it, at Clock's time.
	Events []Event
	Clock  func() time.Time
}

// DefaultGroup is the default SQL Server group every new fake knows.
const DefaultGroup = "default.sqlserver-se-15.0"

// New returns a fake with the default SQL Server group.
func New() *AWS {
	f := &AWS{Account: "123456789012", Region: "us-east-1", Instances: map[string]*Instance{}, Groups: map[string]*Group{},
		Clusters: map[string]*Cluster{}, ClusterGroups: map[string]*Group{},
		Schedules: map[string]*scheduler.CreateScheduleInput{}, FailNext: map[string]error{}, FailAfter: map[string]error{}}
	f.ClusterGroups[DefaultAuroraPostgresGroup] = &Group{Family: "aurora-postgresql15", Params: AuroraPostgresDefaults(), Tags: map[string]string{}}
	f.ClusterGroups[DefaultAuroraMySQLGroup] = &Group{Family: "aurora-mysql8.0", Params: AuroraMySQLDefaults(), Tags: map[string]string{}}
	f.ClusterGroups[DefaultMultiAZPostgresGroup] = &Group{Family: "postgres16", Params: MultiAZPostgresDefaults(), Tags: map[string]string{}}
	f.Groups[DefaultGroup] = &Group{Family: "sqlserver-se-15.0", Params: FamilyDefaults(), Tags: map[string]string{}}
	return f
}

// FamilyDefaults are the parameters a new SQL Server group starts with.
// Each default is held to its source in TestFakeDefaultsHaveASource.
func FamilyDefaults() map[string]Param {
	return map[string]Param{
		"rds.force_ssl":             {"0", "static", "system", ""},
		"max degree of parallelism": {"", "dynamic", "engine-default", ""},
		// The TLS profile's parameters (SQLServer.Ciphers): "default".
		"rds.tls10":   {"default", "static", "engine-default", "default,enabled,disabled"},
		"rds.tls11":   {"default", "static", "engine-default", "default,enabled,disabled"},
		"rds.rc4":     {"default", "static", "engine-default", "default,enabled,disabled"},
		"rds.3des168": {"default", "static", "engine-default", "default,enabled,disabled"},
	}
}

// APIError is an AWS error with a code, as the SDK returns one.
func APIError(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

// enter records a call, takes the lock and returns an injected failure.
// The caller must unlock.
func (f *AWS) enter(op string) error {
	f.mu.Lock()
	f.Calls = append(f.Calls, op)
	if err, ok := f.FailNext[op]; ok {
		delete(f.FailNext, op)
		return err
	}
	return nil
}

// after returns the failure injected after op's effect, once.
func (f *AWS) after(op string) error {
	err := f.FailAfter[op]
	delete(f.FailAfter, op)
	return err
}

// Count returns how many times op was called.
func (f *AWS) Count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.Calls {
		if c == op {
			n++
		}
	}
	return n
}

// Set changes an instance under the lock.
func (f *AWS) Set(id string, mod func(*Instance)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mod(f.Instances[id])
}

// Get returns a copy of an instance.
func (f *AWS) Get(id string) Instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.Instances[id]
}

// Maintenance applies what was queued for the window, as RDS does.
func (f *AWS) Maintenance(id string) { f.Set(id, func(i *Instance) { i.PendingMods = false }) }

func (f *AWS) arn(kind, name string) string {
	return "arn:aws:rds:" + f.Region + ":" + f.Account + ":" + kind + ":" + name
}

func (f *AWS) DescribeDBInstances(_ context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeDBInstances"); err != nil {
		return nil, err
	}
	out := &rds.DescribeDBInstancesOutput{}
	for id, i := range f.Instances {
		if in.DBInstanceIdentifier != nil && *in.DBInstanceIdentifier != id || !matches(in.Filters, i) {
			continue
		}
		db := rdstypes.DBInstance{DBInstanceIdentifier: aws.String(id), Engine: aws.String(i.Engine), DbiResourceId: aws.String(i.ResourceID),
			DBInstanceArn:    aws.String(f.arn("db", id)),
			DBInstanceStatus: aws.String(i.Status), PreferredMaintenanceWindow: aws.String(i.Window),
			DBParameterGroups: []rdstypes.DBParameterGroupStatus{{DBParameterGroupName: aws.String(i.Group), ParameterApplyStatus: aws.String(i.ApplyStatus)}}}
		if i.Cluster != "" {
			db.DBClusterIdentifier = aws.String(i.Cluster)
		}
		if i.CA != "" {
			db.CACertificateIdentifier = aws.String(i.CA)
			db.CertificateDetails = &rdstypes.CertificateDetails{CAIdentifier: aws.String(i.CA)}
			if !i.CertValidTill.IsZero() {
				db.CertificateDetails.ValidTill = aws.Time(i.CertValidTill)
			}
		}
		if i.PendingMods {
			db.PendingModifiedValues = &rdstypes.PendingModifiedValues{DBInstanceClass: aws.String("db.m5.xlarge")}
		}
		if i.PendingCA != "" {
			if db.PendingModifiedValues == nil {
				db.PendingModifiedValues = &rdstypes.PendingModifiedValues{}
			}
			db.PendingModifiedValues.CACertificateIdentifier = aws.String(i.PendingCA)
		}
		for k, v := range i.Tags {
			db.TagList = append(db.TagList, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		out.DBInstances = append(out.DBInstances, db)
	}
	if in.DBInstanceIdentifier != nil && len(out.DBInstances) == 0 {
		return nil, APIError("DBInstanceNotFound")
	}
	return out, nil
}

// matches applies DescribeDBInstances filters (dbi-resource-id and
// db-cluster-id).
func matches(filters []rdstypes.Filter, i *Instance) bool {
	for _, fl := range filters {
		switch aws.ToString(fl.Name) {
		case "dbi-resource-id":
			if !slices.Contains(fl.Values, i.ResourceID) {
				return false
			}
		case "db-cluster-id":
			if !slices.Contains(fl.Values, i.Cluster) {
				return false
			}
		}
	}
	return true
}

// Rename changes an instance's identifier, as ModifyDBInstance with
// NewDBInstanceIdentifier does once applied; its resource ID stays.
func (f *AWS) Rename(old, new string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Instances[new] = f.Instances[old]
	delete(f.Instances, old)
}

func (f *AWS) DescribeDBParameters(_ context.Context, in *rds.DescribeDBParametersInput, _ ...func(*rds.Options)) (*rds.DescribeDBParametersOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeDBParameters"); err != nil {
		return nil, err
	}
	ps, err := parameters(f.Groups, aws.ToString(in.DBParameterGroupName), in.Source, in.Filters)
	return &rds.DescribeDBParametersOutput{Parameters: ps}, err
}

func (f *AWS) DescribeDBParameterGroups(_ context.Context, in *rds.DescribeDBParameterGroupsInput, _ ...func(*rds.Options)) (*rds.DescribeDBParameterGroupsOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeDBParameterGroups"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.DBParameterGroupName)
	g, ok := f.Groups[name]
	if !ok {
		return nil, APIError("DBParameterGroupNotFound")
	}
	return &rds.DescribeDBParameterGroupsOutput{DBParameterGroups: []rdstypes.DBParameterGroup{{DBParameterGroupName: aws.String(name),
		DBParameterGroupFamily: aws.String(g.Family), DBParameterGroupArn: aws.String(f.arn("pg", name))}}}, nil
}

func (f *AWS) ListTagsForResource(_ context.Context, in *rds.ListTagsForResourceInput, _ ...func(*rds.Options)) (*rds.ListTagsForResourceOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("ListTagsForResource"); err != nil {
		return nil, err
	}
	arn := aws.ToString(in.ResourceName)
	name := arn[strings.LastIndex(arn, ":")+1:]
	var tags map[string]string
	switch {
	case strings.Contains(arn, ":cluster-pg:"):
		if g, ok := f.ClusterGroups[name]; ok {
			tags = g.Tags
		}
	case strings.Contains(arn, ":cluster:"):
		if c, ok := f.Clusters[name]; ok {
			tags = c.Tags
		}
	default:
		if g, ok := f.Groups[name]; ok {
			tags = g.Tags
		}
	}
	out := &rds.ListTagsForResourceOutput{}
	for k, v := range tags {
		out.TagList = append(out.TagList, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out, nil
}

func (f *AWS) CreateDBParameterGroup(_ context.Context, in *rds.CreateDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.CreateDBParameterGroupOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("CreateDBParameterGroup"); err != nil {
		return nil, err
	}
	err := createGroup(f.Groups, aws.ToString(in.DBParameterGroupName), aws.ToString(in.DBParameterGroupFamily), FamilyDefaults(), in.Tags)
	return &rds.CreateDBParameterGroupOutput{}, err
}

func (f *AWS) CopyDBParameterGroup(_ context.Context, in *rds.CopyDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.CopyDBParameterGroupOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("CopyDBParameterGroup"); err != nil {
		return nil, err
	}
	err := copyGroup(f.Groups, aws.ToString(in.SourceDBParameterGroupIdentifier), aws.ToString(in.TargetDBParameterGroupIdentifier), in.Tags)
	return &rds.CopyDBParameterGroupOutput{}, err
}

func (f *AWS) ModifyDBParameterGroup(_ context.Context, in *rds.ModifyDBParameterGroupInput, _ ...func(*rds.Options)) (*rds.ModifyDBParameterGroupOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("ModifyDBParameterGroup"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.DBParameterGroupName)
	pending, err := modifyGroup(f.Groups, name, in.Parameters)
	if err != nil {
		return nil, err
	}
	if pending {
		for _, i := range f.Instances {
			if i.Group == name {
				i.ApplyStatus = plan.PendingReboot
			}
		}
	}
	return &rds.ModifyDBParameterGroupOutput{}, nil
}

func (f *AWS) ModifyDBInstance(_ context.Context, in *rds.ModifyDBInstanceInput, _ ...func(*rds.Options)) (*rds.ModifyDBInstanceOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("ModifyDBInstance"); err != nil {
		return nil, err
	}
	f.Modifies = append(f.Modifies, in)
	i, ok := f.Instances[aws.ToString(in.DBInstanceIdentifier)]
	if !ok {
		return nil, APIError("DBInstanceNotFound")
	}
	if i.Status != "available" && i.Status != "storage-optimization" {
		return nil, APIError("InvalidDBInstanceState")
	}
	if ca := aws.ToString(in.CACertificateIdentifier); ca != "" {
		// A CA change restarts the instance now with ApplyImmediately (the
		// restart applies pending parameters: an assumption, see
		// plan.SetCA), else RDS applies it in the window.
		if aws.ToBool(in.ApplyImmediately) {
			i.CA, i.PendingCA, i.CertValidTill, i.ApplyStatus, i.PendingMods = ca, "", DefaultCertValidTill, plan.InSync, false
		} else {
			i.PendingCA = ca
		}
		return &rds.ModifyDBInstanceOutput{}, nil
	}
	// "The parameter group name itself is changed immediately" whatever
	// ApplyImmediately says (ModifyDBInstance API reference); the parameters
	// wait for a reboot. ApplyImmediately also applies everything queued.
	i.Group, i.ApplyStatus = aws.ToString(in.DBParameterGroupName), plan.PendingReboot
	if aws.ToBool(in.ApplyImmediately) {
		i.PendingMods = false
	}
	return &rds.ModifyDBInstanceOutput{}, nil
}

func (f *AWS) RebootDBInstance(_ context.Context, in *rds.RebootDBInstanceInput, _ ...func(*rds.Options)) (*rds.RebootDBInstanceOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("RebootDBInstance"); err != nil {
		return nil, err
	}
	f.Reboots = append(f.Reboots, in)
	i, ok := f.Instances[aws.ToString(in.DBInstanceIdentifier)]
	if !ok {
		return nil, APIError("DBInstanceNotFound")
	}
	if i.Status != "available" {
		return nil, APIError("InvalidDBInstanceState")
	}
	i.ApplyStatus = plan.InSync
	f.restarted(aws.ToString(in.DBInstanceIdentifier))
	f.rebootMember(i)
	if err := f.after("RebootDBInstance"); err != nil {
		return nil, err
	}
	return &rds.RebootDBInstanceOutput{}, nil
}

// DescribeCertificates answers with the RDS CAs of the built-in table
// (or FailNext, as moto's HTTP 500 does).
func (f *AWS) DescribeCertificates(_ context.Context, _ *rds.DescribeCertificatesInput, _ ...func(*rds.Options)) (*rds.DescribeCertificatesOutput, error) {
	defer f.mu.Unlock()
	if err := f.enter("DescribeCertificates"); err != nil {
		return nil, err
	}
	out := &rds.DescribeCertificatesOutput{}
	for id, till := range policy.KnownCAs {
		out.Certificates = append(out.Certificates, rdstypes.Certificate{CertificateIdentifier: aws.String(id), ValidTill: aws.Time(till)})
	}
	return out, nil
}
