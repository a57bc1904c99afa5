package policy

// Mode says whether the engine may write to the customer's resources.
type Mode string

const (
	// ModeReport changes nothing of the customer's (RDS, Scheduler): it
	// reads, decides and tells what enforce mode would do.
	ModeReport Mode = "report"
	// ModeEnforce carries plans out.
	ModeEnforce Mode = "enforce"
)

// RebootPolicy says when a pending parameter change is made effective.
type RebootPolicy string

const (
	RebootWindow    RebootPolicy = "maintenance-window"
	RebootImmediate RebootPolicy = "immediate"
	RebootNever     RebootPolicy = "never"
)

// Engines is every engine forcessl can enforce TLS on, in the order the
// documentation lists them; the default scope. The Multi-AZ DB clusters of
// RDS for PostgreSQL and MySQL follow the postgres and mysql entries.
var Engines = []string{
	"sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web",
	"postgres", "mysql", "mariadb",
	"aurora-postgresql", "aurora-mysql",
}

// ClusterEngines are the engines of DB clusters (Aurora, and Multi-AZ DB
// clusters of postgres and mysql).
var ClusterEngines = []string{"aurora-postgresql", "aurora-mysql", "postgres", "mysql"}

// TLSProfile says what, beyond the TLS switch, a compliant group sets.
type TLSProfile string

const (
	// ProfileForce is the switch alone (rds.force_ssl, require_secure_transport).
	ProfileForce TLSProfile = "force"
	// ProfileModern also turns old protocol versions and weak ciphers off
	// where the family lists the parameter (see Checks).
	ProfileModern TLSProfile = "modern"
)

// SecurityHub says whether forcessl reports into AWS Security Hub.
type SecurityHub string

const (
	SecurityHubOff SecurityHub = "off"
	SecurityHubOn  SecurityHub = "on"
)
