// Package policy knows, per RDS engine, which DB parameter switches TLS on
// and what value means "on". It is pure and has no AWS dependency.
package policy

import (
	"slices"
	"strings"
)

// Requirement is the parameter an engine needs and the value that enforces TLS.
type Requirement struct {
	Parameter string
	Value     string
}

// Parameter names per engine family (RDS User Guide: SQLServer.Concepts.General.SSL.Using,
// PostgreSQL.Concepts.General.SSL, mysql-ssl-connections.require-ssl, mariadb-ssl-connections.require-ssl).
const (
	ForceSSL               = "rds.force_ssl"
	RequireSecureTransport = "require_secure_transport"
)

var requirements = map[string]Requirement{
	"sqlserver-ee":  {ForceSSL, "1"},
	"sqlserver-se":  {ForceSSL, "1"},
	"sqlserver-ex":  {ForceSSL, "1"},
	"sqlserver-web": {ForceSSL, "1"},
	"postgres":      {ForceSSL, "1"},
	"mysql":         {RequireSecureTransport, "1"},
	"mariadb":       {RequireSecureTransport, "1"},
	// DB cluster parameter groups (Aurora User Guide: AuroraPostgreSQL.Security,
	// AuroraMySQL.Security; Aurora MySQL reports ON/OFF).
	"aurora-postgresql": {ForceSSL, "1"},
	"aurora-mysql":      {RequireSecureTransport, "ON"},
}

// For returns the requirement for an engine, and false when the engine's TLS
// switch does not live in a DB instance parameter group we manage.
func For(engine string) (Requirement, bool) {
	r, ok := requirements[strings.ToLower(engine)]
	return r, ok
}

// Scope explains why an instance is, or is not, ours to manage.
type Scope struct {
	InScope bool
	Reason  string
}

// Classify decides whether an instance is in scope. Aurora members take their
// TLS setting from the cluster parameter group, Oracle uses option groups and
// Db2 has no such switch: reported, never modified.
func Classify(engine, clusterID string, engines []string) Scope {
	e := strings.ToLower(engine)
	if clusterID != "" || strings.HasPrefix(e, "aurora") {
		return Scope{Reason: "member of DB cluster " + clusterID + ": TLS is set in the cluster parameter group, reconciled with the cluster"}
	}
	switch {
	case strings.HasPrefix(e, "oracle"):
		return Scope{Reason: "Oracle enforces TLS through option groups, not a parameter"}
	case strings.HasPrefix(e, "db2"):
		return Scope{Reason: "Db2 is not supported"}
	case strings.HasPrefix(e, "custom-"):
		return Scope{Reason: "RDS Custom is managed by its owner"}
	}
	if _, ok := requirements[e]; !ok {
		return Scope{Reason: "engine " + engine + " is not supported"}
	}
	if !slices.Contains(engines, e) {
		return Scope{Reason: "engine " + engine + " is not in FORCESSL_ENGINES"}
	}
	return Scope{InScope: true}
}

// ClusterFacts are what decides whether a DB cluster is in scope.
type ClusterFacts struct {
	Engine      string
	EngineMode  string // provisioned | serverless (v1) | ...
	Scalability string // ClusterScalabilityType: standard | limitless
	// GlobalSecondary: a secondary cluster of an Aurora global database.
	GlobalSecondary bool
}

// ClassifyCluster decides whether a DB cluster is in scope: Aurora
// PostgreSQL and Aurora MySQL clusters, and the Multi-AZ DB clusters of RDS
// for PostgreSQL and MySQL (which follow their engine's entry in engines).
// Aurora Serverless v1, Limitless clusters and the secondaries of a global
// database are reported, never modified.
func ClassifyCluster(c ClusterFacts, engines []string) Scope {
	e := strings.ToLower(c.Engine)
	switch {
	case strings.EqualFold(c.EngineMode, "serverless"):
		return Scope{Reason: "Aurora Serverless v1 cluster: forcessl does not modify it (its parameter group applies through a forced scaling; v1 reached end of life in 2025)"}
	case strings.EqualFold(c.Scalability, "limitless"):
		return Scope{Reason: "Aurora Limitless cluster: it has no DB instances to reboot (shard groups); not supported"}
	case c.GlobalSecondary:
		return Scope{Reason: "secondary cluster of an Aurora global database: forcessl leaves it to whoever manages the global database"}
	}
	if !slices.Contains(ClusterEngines, e) {
		return Scope{Reason: "DB cluster engine " + c.Engine + " is not supported"}
	}
	if !slices.Contains(engines, e) {
		return Scope{Reason: "engine " + c.Engine + " is not in FORCESSL_ENGINES"}
	}
	return Scope{InScope: true}
}

// OnValue is how to write the requirement's value in a group whose
// parameter lists allowed: the spelling the family accepts ("1" or "ON"),
// as DescribeDBParameters' AllowedValues says; the requirement's own when it
// says nothing.
func OnValue(r Requirement, allowed string) string {
	fields := strings.FieldsFunc(allowed, func(c rune) bool { return c == ',' || c == ' ' })
	for _, want := range []string{r.Value, "1", "ON"} {
		for _, f := range fields {
			if strings.EqualFold(f, want) {
				return f
			}
		}
	}
	return r.Value
}

// IsOn reports whether a parameter value enforces TLS. A parameter with no
// value counts as off. RDS instances report 0/1, Aurora MySQL ON/OFF
// (prowler-cloud/prowler#4116), so both spellings are accepted.
func IsOn(value string) bool {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "1", "on", "true":
		return true
	}
	return false
}
