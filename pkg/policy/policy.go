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
	switch {
	case clusterID != "" || strings.HasPrefix(e, "aurora"):
		return Scope{Reason: "member of DB cluster " + clusterID + ": TLS is set in the cluster parameter group"}
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
