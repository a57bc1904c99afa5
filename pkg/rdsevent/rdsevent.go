package rdsevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/request"
)

// ErrIgnored wraps every reason a payload is not work for the engine. Callers
// log it at warn level and acknowledge the event: a retry cannot help.
var ErrIgnored = errors.New("event ignored")

func ignore(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrIgnored, fmt.Sprintf(format, args...))
}

// Detail types.
const (
	DetailInstance       = "RDS DB Instance Event"
	DetailCluster        = "RDS DB Cluster Event"
	DetailParameterGroup = "RDS DB Parameter Group Event"
	DetailAPICall        = "AWS API Call via CloudTrail"
	DetailScheduled      = "forcessl Scheduled Action"
	DetailSweep          = "forcessl Sweep"
	DetailSweepItem      = "forcessl Sweep Item"
	DetailSweepDeadline  = "forcessl Sweep Deadline"
	DetailTimer          = "Scheduled Event" // an EventBridge scheduled rule with no input
	SourceRDS            = "aws.rds"
	SourceForcessl       = "forcessl"
	SourceEvents         = "aws.events"
	// CloudTrailSource is detail.eventSource of RDS API calls delivered
	// through CloudTrail.
	CloudTrailSource = "rds.amazonaws.com"
)

// InstanceEvents maps the RDS-EVENT IDs we act on to their trigger, with the
// message prefix used when a (older) payload carries no EventID.
var InstanceEvents = map[string]struct {
	Trigger request.Trigger
	Message string
}{
	"RDS-EVENT-0005": {request.TriggerChange, "DB instance created"},
	"RDS-EVENT-0019": {request.TriggerChange, "Restored from DB instance"},
	"RDS-EVENT-0043": {request.TriggerChange, "Restored from snapshot"},
	"RDS-EVENT-0011": {request.TriggerChange, "Updated to use DBParameterGroup"},
	"RDS-EVENT-0014": {request.TriggerChange, "Finished applying modification to DB instance class"},
	"RDS-EVENT-0017": {request.TriggerChange, "Finished applying modification to allocated storage"},
	"RDS-EVENT-0025": {request.TriggerChange, "Finished applying modification to convert to a Multi-AZ"},
	"RDS-EVENT-0029": {request.TriggerChange, "Finished applying modification to convert to a standard"},
	"RDS-EVENT-0092": {request.TriggerChange, "Finished updating DB parameter group"},
	"RDS-EVENT-0006": {request.TriggerRestarted, "DB instance restarted"},
}

// RestartMessages are the DB instance events after which every change
// pending on the instance is in effect (RDS User Guide, "Amazon RDS event
// categories and event messages"): RDS-EVENT-0006 "DB instance restarted."
// (availability) and RDS-EVENT-0088 "DB instance started." (notification;
// a start applies what was pending like a reboot). DescribeEvents returns
// an event's message and categories but no event ID (API reference,
// Event), so the log is read by message prefix.
var RestartMessages = []string{"DB instance restarted", "DB instance started"}

// RestartCategories are the categories of RestartMessages: the filter of
// a DescribeEvents read for restarts.
var RestartCategories = []string{"availability", "notification"}

// InstanceEventIDs lists the keys of InstanceEvents, sorted: what an
// EventBridge rule must match to wake the engine for them.
func InstanceEventIDs() []string {
	ids := make([]string, 0, len(InstanceEvents))
	for id := range InstanceEvents {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// ClusterEvents are the DB cluster events forcessl acts on (RDS User Guide,
// "Amazon RDS event categories and event messages", source type cluster):
// created (restores are announced as created too: the table has no cluster
// restoration event; CloudTrail's Restore* calls cover them), renamed,
// started, and engine upgrades (a new family can change defaults). There
// is no "cluster modified" and no cluster parameter group event.
var ClusterEvents = map[string]string{
	"RDS-EVENT-0170": "DB cluster created",
	"RDS-EVENT-0172": "Renamed cluster",
	"RDS-EVENT-0151": "DB cluster started",
	"RDS-EVENT-0173": "Database cluster engine version has been upgraded",
	"RDS-EVENT-0176": "Database cluster engine major version has been upgraded",
}

// ClusterEventIDs lists the keys of ClusterEvents, sorted.
func ClusterEventIDs() []string { return slices.Sorted(maps.Keys(ClusterEvents)) }

// ParameterGroupEvent is the RDS-EVENT ID for a parameter change in a group.
const ParameterGroupEvent = "RDS-EVENT-0037"

// InstanceAPICalls and ParameterGroupAPICalls are the CloudTrail event names
// we act on.
var (
	InstanceAPICalls = []string{
		"CreateDBInstance", "ModifyDBInstance", "RestoreDBInstanceFromDBSnapshot",
		"RestoreDBInstanceToPointInTime", "CreateDBInstanceReadReplica",
	}
	ParameterGroupAPICalls = []string{"ModifyDBParameterGroup", "ResetDBParameterGroup"}
	// ClusterAPICalls create or reconfigure a DB cluster; a CreateDBInstance
	// with a dBClusterIdentifier (a member added) is read as its cluster's.
	ClusterAPICalls = []string{"CreateDBCluster", "ModifyDBCluster", "RestoreDBClusterFromSnapshot",
		"RestoreDBClusterToPointInTime", "RestoreDBClusterFromS3"}
	ClusterParameterGroupAPICalls = []string{"ModifyDBClusterParameterGroup", "ResetDBClusterParameterGroup"}
)

// APICalls are every CloudTrail event name forcessl acts on: what an
// EventBridge rule must match.
func APICalls() []string {
	return slices.Concat(InstanceAPICalls, ParameterGroupAPICalls, ClusterAPICalls, ClusterParameterGroupAPICalls)
}

// envelope is the EventBridge event; detail stays raw until we know its type
// (the aws-lambda-go events.CloudWatchEvent shape, without its time parsing,
// which would reject an event over a field we never use).
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time,omitempty"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Parse decodes one payload. Every error it returns wraps ErrIgnored.
func Parse(payload []byte) (request.Request, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return request.Request{}, ignore("malformed JSON: %v", err)
	}
	if len(env.Detail) == 0 || string(env.Detail) == "null" {
		return request.Request{}, ignore("no detail (source %q, detail-type %q)", env.Source, env.DetailType)
	}
	// An RDS event (and a CloudTrail record) is delivered by EventBridge
	// with the account and region it comes from: one without them did not
	// come from EventBridge, and its claims about where it comes from
	// cannot be checked against anything.
	if env.Source == SourceRDS && (env.Account == "" || env.Region == "") {
		return request.Request{}, ignore("%s event without the envelope's account and region", env.Source)
	}
	var (
		req request.Request
		err error
	)
	type kind struct{ source, detailType string }
	switch (kind{env.Source, env.DetailType}) {
	case kind{SourceRDS, DetailInstance}:
		req, err = parseInstanceEvent(env)
	case kind{SourceRDS, DetailCluster}:
		req, err = parseClusterEvent(env)
	case kind{SourceRDS, DetailParameterGroup}:
		req, err = parseParameterGroupEvent(env)
	case kind{SourceRDS, DetailAPICall}:
		req, err = parseAPICall(env)
	case kind{SourceForcessl, DetailScheduled}:
		req, err = parseScheduled(env)
	case kind{SourceForcessl, DetailSweep}, kind{SourceEvents, DetailTimer}:
		// The scheduled event's own ID and time (the CDK rule passes them
		// through its input) name the run, so a retried start is the same
		// run; the constant input of earlier versions has neither.
		req := request.Request{Target: request.TargetSweep, Trigger: request.TriggerSweep, Cause: "sweep", EventID: env.ID}
		if t, err := time.Parse(time.RFC3339, env.Time); err == nil {
			req.EventTime = t.UTC()
		}
		return req, nil
	case kind{SourceForcessl, DetailSweepDeadline}:
		var d SweepDeadline
		if err := json.Unmarshal(env.Detail, &d); err != nil || d.SweepID == "" {
			return request.Request{}, ignore("malformed sweep deadline: %s", env.Detail)
		}
		return request.Request{Target: request.TargetSweepDeadline, Trigger: request.TriggerSweep, Cause: "sweep-deadline",
			SweepID: d.SweepID, EventID: env.ID}, nil
	case kind{SourceForcessl, DetailSweepItem}:
		req, err = parseSweepItem(env)
	default:
		return request.Request{}, ignore("unsupported event: source %q, detail-type %q", env.Source, env.DetailType)
	}
	if err != nil {
		return request.Request{}, err
	}
	req.EventID = env.ID
	// When the event happened (a restart after forcessl's change closes its
	// intent); a time that does not parse is left out, never guessed.
	if t, err := time.Parse(time.RFC3339, env.Time); err == nil {
		req.EventTime = t.UTC()
	}
	return req, validate(req)
}

type rdsDetail struct {
	SourceArn string `json:"SourceArn"`
	EventID   string `json:"EventID"`
	Message   string `json:"Message"`
}

func parseInstanceEvent(env envelope) (request.Request, error) {
	var d rdsDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return request.Request{}, ignore("malformed %s detail: %v", env.DetailType, err)
	}
	id := d.EventID
	if id == "" {
		id = eventIDFromMessage(d.Message)
	}
	ev, ok := InstanceEvents[id]
	if !ok {
		return request.Request{}, ignore("RDS instance event %q (%q) is not one forcessl acts on", d.EventID, d.Message)
	}
	arn, err := parseARN(d.SourceArn, "db")
	if err != nil {
		return request.Request{}, ignore("%s: %v", id, err)
	}
	if err := sameOrigin(env, arn); err != nil {
		return request.Request{}, err
	}
	return request.Request{Target: request.TargetInstance, Trigger: ev.Trigger, Account: arn.account, Region: arn.region,
		Instance: arn.name, Cause: id}, nil
}

func eventIDFromMessage(msg string) string {
	for id, ev := range InstanceEvents {
		if strings.HasPrefix(msg, ev.Message) {
			return id
		}
	}
	return ""
}

func parseParameterGroupEvent(env envelope) (request.Request, error) {
	var d rdsDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return request.Request{}, ignore("malformed %s detail: %v", env.DetailType, err)
	}
	if d.EventID != ParameterGroupEvent && !(d.EventID == "" && strings.HasPrefix(d.Message, "Updated parameter")) {
		return request.Request{}, ignore("RDS parameter group event %q is not one forcessl acts on", d.EventID)
	}
	arn, err := parseARN(d.SourceArn, "pg")
	if err != nil {
		return request.Request{}, ignore("%s: %v", ParameterGroupEvent, err)
	}
	if err := sameOrigin(env, arn); err != nil {
		return request.Request{}, err
	}
	return request.Request{Target: request.TargetParameterGroup, Trigger: request.TriggerChange, Account: arn.account, Region: arn.region,
		ParameterGroup: arn.name, Cause: ParameterGroupEvent}, nil
}

// apiCall holds the CloudTrail record fields we read. RDS's CloudTrail keys
// use its odd casing (dBInstanceIdentifier).
type apiCall struct {
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	AWSRegion          string `json:"awsRegion"`
	RecipientAccountID string `json:"recipientAccountId"`
	ErrorCode          string `json:"errorCode"`
	RequestParameters  struct {
		DBInstanceIdentifier        string `json:"dBInstanceIdentifier"`
		NewDBInstanceIdentifier     string `json:"newDBInstanceIdentifier"`
		TargetDBInstanceIdentifier  string `json:"targetDBInstanceIdentifier"`
		DBParameterGroupName        string `json:"dBParameterGroupName"`
		DBClusterIdentifier         string `json:"dBClusterIdentifier"`
		NewDBClusterIdentifier      string `json:"newDBClusterIdentifier"`
		DBClusterParameterGroupName string `json:"dBClusterParameterGroupName"`
	} `json:"requestParameters"`
	ResponseElements *struct {
		DBInstanceArn        string `json:"dBInstanceArn"`
		DBInstanceIdentifier string `json:"dBInstanceIdentifier"`
		DbiResourceID        string `json:"dbiResourceId"`
		DBClusterArn         string `json:"dBClusterArn"`
		DBClusterIdentifier  string `json:"dBClusterIdentifier"`
		DbClusterResourceID  string `json:"dbClusterResourceId"`
	} `json:"responseElements"`
}

func parseAPICall(env envelope) (request.Request, error) {
	var c apiCall
	if err := json.Unmarshal(env.Detail, &c); err != nil {
		return request.Request{}, ignore("malformed CloudTrail detail: %v", err)
	}
	if c.EventSource != CloudTrailSource {
		return request.Request{}, ignore("API call from %q, not rds.amazonaws.com", c.EventSource)
	}
	if c.ErrorCode != "" {
		return request.Request{}, ignore("%s failed with %s: nothing changed", c.EventName, c.ErrorCode)
	}
	account, region, err := apiCallOrigin(env, c)
	if err != nil {
		return request.Request{}, err
	}
	req := request.Request{Trigger: request.TriggerChange, Account: account, Region: region, Cause: c.EventName}
	if slices.Contains(ClusterAPICalls, c.EventName) || c.EventName == "CreateDBInstance" && c.RequestParameters.DBClusterIdentifier != "" {
		return clusterCall(req, c)
	}
	switch {
	case slices.Contains(ClusterParameterGroupAPICalls, c.EventName):
		req.Target = request.TargetClusterParameterGroup
		req.ClusterParameterGroup = c.RequestParameters.DBClusterParameterGroupName
		if strings.HasPrefix(req.ClusterParameterGroup, "arn:") {
			arn, err := parseARN(req.ClusterParameterGroup, "cluster-pg")
			if err != nil {
				return request.Request{}, ignore("%s: %v", c.EventName, err)
			}
			req.ClusterParameterGroup = arn.name
		}
		return req, nil
	case slices.Contains(InstanceAPICalls, c.EventName):
		req.Target = request.TargetInstance
		req.NamesOurGroup = namesOurGroup(c.RequestParameters.DBParameterGroupName)
		if r := c.ResponseElements; r != nil {
			// The immutable ID finds the instance whatever its name is when
			// the engine looks (a rename queued for the window is not
			// applied yet).
			req.ResourceID = r.DbiResourceID
		}
		if n := c.RequestParameters.NewDBInstanceIdentifier; n != "" {
			// A rename: the response still names the old identifier (the new
			// one is in its pendingModifiedValues), so take the request's.
			req.Instance = n
			break
		}
		if r := c.ResponseElements; r != nil && r.DBInstanceArn != "" {
			arn, err := parseARN(r.DBInstanceArn, "db")
			if err != nil {
				return request.Request{}, ignore("%s: %v", c.EventName, err)
			}
			req.Account, req.Region, req.Instance = arn.account, arn.region, arn.name
			break
		}
		p := c.RequestParameters
		var fromResponse string
		if c.ResponseElements != nil {
			fromResponse = c.ResponseElements.DBInstanceIdentifier
		}
		// A restore's target names the instance that exists after the call.
		req.Instance = first(fromResponse, p.TargetDBInstanceIdentifier, p.DBInstanceIdentifier)
	case slices.Contains(ParameterGroupAPICalls, c.EventName):
		req.Target = request.TargetParameterGroup
		name := c.RequestParameters.DBParameterGroupName
		if strings.HasPrefix(name, "arn:") {
			arn, err := parseARN(name, "pg")
			if err != nil {
				return request.Request{}, ignore("%s: %v", c.EventName, err)
			}
			name = arn.name
		}
		req.ParameterGroup = name
	default:
		return request.Request{}, ignore("API call %q is not one forcessl acts on", c.EventName)
	}
	return req, nil
}

// Scheduled is the detail of forcessl's own scheduled actions. The engine
// writes it as the Scheduler target input; account and region travel with
// it so schedules can live in a central account.
//
// Versions before the state table wrote account, region and instance
// name only; such schedules may still be pending in deployed accounts and
// are accepted. ResourceID, when present, is what the action acts on: the
// instance may have been renamed since it was scheduled.
type Scheduled struct {
	Action   request.Trigger `json:"action"`
	Account  string          `json:"account"`
	Region   string          `json:"region"`
	Instance string          `json:"instance,omitempty"`
	// Cluster names a DB cluster instead of an instance.
	Cluster    string `json:"cluster,omitempty"`
	ResourceID string `json:"resourceId,omitempty"`
}

// ScheduledPayload renders the event a schedule delivers for s.
func ScheduledPayload(s Scheduled) ([]byte, error) {
	detail, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{Version: "0", DetailType: DetailScheduled, Source: SourceForcessl,
		Account: s.Account, Region: s.Region, Resources: []string{}, Detail: detail})
}

func parseScheduled(env envelope) (request.Request, error) {
	var s Scheduled
	if err := json.Unmarshal(env.Detail, &s); err != nil {
		return request.Request{}, ignore("malformed scheduled action: %v", err)
	}
	if s.Action != request.TriggerReboot && s.Action != request.TriggerRecheck && s.Action != request.TriggerNotice {
		return request.Request{}, ignore("unknown scheduled action %q", s.Action)
	}
	// ScheduledPayload has always written the account and region in both
	// the envelope and the detail: a payload where they differ (or the
	// envelope lacks them) is not one forcessl scheduled.
	if env.Account != s.Account || env.Region != s.Region {
		return request.Request{}, ignore("scheduled action: envelope %s/%s and detail %s/%s disagree", env.Account, env.Region, s.Account, s.Region)
	}
	req := request.Request{Target: request.TargetInstance, Trigger: s.Action, Account: s.Account, Region: s.Region,
		Instance: s.Instance, ResourceID: s.ResourceID, Cause: "scheduled-" + string(s.Action)}
	if s.Cluster != "" {
		req.Target, req.Instance, req.Cluster = request.TargetCluster, "", s.Cluster
	}
	return req, nil
}

// SweepItem is one account and region of a sweep, as queued on SQS.
type SweepItem struct {
	SweepID string `json:"sweepId"`
	Account string `json:"account"`
	Region  string `json:"region"`
}

// SweepItemPayload renders the message for one work item.
func SweepItemPayload(it SweepItem) ([]byte, error) {
	detail, err := json.Marshal(it)
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{Version: "0", DetailType: DetailSweepItem, Source: SourceForcessl,
		Account: it.Account, Region: it.Region, Resources: []string{}, Detail: detail})
}

// SweepDeadline is the message that, at a fanned-out sweep's deadline,
// sends its digest with whatever has reported.
type SweepDeadline struct {
	SweepID string `json:"sweepId"`
}

// SweepDeadlinePayload renders the deadline message of a sweep.
func SweepDeadlinePayload(d SweepDeadline) ([]byte, error) {
	detail, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{Version: "0", DetailType: DetailSweepDeadline, Source: SourceForcessl, Resources: []string{}, Detail: detail})
}

func parseSweepItem(env envelope) (request.Request, error) {
	var it SweepItem
	if err := json.Unmarshal(env.Detail, &it); err != nil {
		return request.Request{}, ignore("malformed sweep item: %v", err)
	}
	return request.Request{Target: request.TargetAccountRegion, Trigger: request.TriggerSweep, Account: it.Account, Region: it.Region,
		Cause: "sweep", SweepID: it.SweepID}, nil
}

func parseClusterEvent(env envelope) (request.Request, error) {
	var d rdsDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return request.Request{}, ignore("malformed %s detail: %v", env.DetailType, err)
	}
	id := d.EventID
	if id == "" {
		for k, msg := range ClusterEvents {
			if strings.HasPrefix(d.Message, msg) {
				id = k
			}
		}
	}
	if _, ok := ClusterEvents[id]; !ok {
		return request.Request{}, ignore("RDS cluster event %q (%q) is not one forcessl acts on", d.EventID, d.Message)
	}
	arn, err := parseARN(d.SourceArn, "cluster")
	if err != nil {
		return request.Request{}, ignore("%s: %v", id, err)
	}
	if err := sameOrigin(env, arn); err != nil {
		return request.Request{}, err
	}
	return request.Request{Target: request.TargetCluster, Trigger: request.TriggerChange, Account: arn.account, Region: arn.region,
		Cluster: arn.name, Cause: id}, nil
}

// clusterCall reads a cluster API call: the cluster is the response's (the
// one that exists after the call), its immutable ID when the response
// carries it, and for a rename the new name (queued renames are found by
// the ID).
// namesOurGroup: a call that named a forcessl-* group (by name or ARN;
// RDS stores names in lowercase) attached it.
func namesOurGroup(name string) bool {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return paramgroup.IsOurs(strings.ToLower(name))
}

func clusterCall(req request.Request, c apiCall) (request.Request, error) {
	req.Target = request.TargetCluster
	p := c.RequestParameters
	if r := c.ResponseElements; r != nil {
		req.ResourceID = r.DbClusterResourceID
		if r.DBClusterArn != "" { // a cluster call's (CreateDBInstance's response has none)
			arn, err := parseARN(r.DBClusterArn, "cluster")
			if err != nil {
				return request.Request{}, ignore("%s: %v", c.EventName, err)
			}
			req.Cluster = arn.name
		}
	}
	if c.EventName == "CreateDBInstance" {
		req.ResourceID = "" // the response's resource ID is the member's
	} else {
		req.NamesOurGroup = namesOurGroup(p.DBClusterParameterGroupName)
	}
	req.Cluster = first(p.NewDBClusterIdentifier, req.Cluster, p.DBClusterIdentifier)
	if strings.HasPrefix(req.Cluster, "arn:") {
		arn, err := parseARN(req.Cluster, "cluster")
		if err != nil {
			return request.Request{}, ignore("%s: %v", c.EventName, err)
		}
		req.Cluster = arn.name
	}
	return req, nil
}

type rdsARN struct{ account, region, name string }

// parseARN reads arn:<partition>:rds:<region>:<account>:<kind>:<name>.
func parseARN(s, kind string) (rdsARN, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "rds" || parts[5] != kind {
		return rdsARN{}, fmt.Errorf("SourceArn %q is not an RDS %s ARN", s, kind)
	}
	return rdsARN{account: parts[4], region: parts[3], name: parts[6]}, nil
}

// sameOrigin rejects an event whose envelope and resource disagree on the
// account or region: the engine picks credentials by account, so a mismatch
// must never make it act somewhere the event did not come from.
func sameOrigin(env envelope, arn rdsARN) error {
	if env.Account != "" && env.Account != arn.account || env.Region != "" && env.Region != arn.region {
		return ignore("event from %s/%s names a resource in %s/%s", env.Account, env.Region, arn.account, arn.region)
	}
	return nil
}

// validName accepts RDS identifiers and group names: a letter, then up to
// 254 letters, digits, hyphens and (for default groups) dots. A superset:
// RDS is the judge. Hand-written because a package-level regexp with this
// repetition costs every cold start about 2 ms to compile.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 255 || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validate(r request.Request) error {
	if !request.ValidAccount(r.Account) {
		return ignore("%s: account %q is not a 12-digit account ID", r.Cause, r.Account)
	}
	if !request.ValidRegion(r.Region) {
		return ignore("%s: region %q is not a region", r.Cause, r.Region)
	}
	var what, name string
	switch r.Target {
	case request.TargetInstance:
		what, name = "instance identifier", r.Instance
	case request.TargetParameterGroup:
		what, name = "parameter group name", r.ParameterGroup
	case request.TargetCluster:
		what, name = "cluster identifier", r.Cluster
	case request.TargetClusterParameterGroup:
		what, name = "cluster parameter group name", r.ClusterParameterGroup
	default:
		return nil
	}
	if !validName(name) {
		return ignore("%s: %s %q is not valid", r.Cause, what, name)
	}
	return nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
