package plan

// Readiness is what an instance's status lets forcessl do. Every status of
// the RDS User Guide's table ("Viewing Amazon RDS DB instance status",
// accessing-monitoring.html#Overview.DBInstance.Status, read 2026-12) is
// classified below, with the page's own description as the reason.
type Readiness int

const (
	// Ready: the instance serves and can be modified. forcessl attaches a
	// group and, in the window, attempts the reboot; RebootDBInstance wants
	// "available" (USER_RebootInstance), so an InvalidDBInstanceState
	// answer is a re-check inside the same window, not a week's delay.
	Ready Readiness = iota
	// Busy: work that ends by itself soon. Look again in RecheckDelay.
	Busy
	// Idle: a state that lasts until someone acts. Look again in a day.
	Idle
	// Gone: the instance is being deleted. Nothing to do.
	Gone
)

// statuses classifies DBInstanceStatus. The API has no enum (the value is
// free text), so a status not listed here is Busy: forcessl looks again
// rather than act on an instance it does not understand.
var statuses = map[string]Readiness{
	"available": Ready,
	// "During storage optimization, the DB instance remains available ...
	// a background process that doesn't affect the instance's availability"
	// and it can last more than a day: treating it as busy postponed
	// reboots by a week.
	"storage-optimization": Ready,
	// "It remains available for operations, but performance mights not be
	// at its fullest until initialization completes."
	"storage-initialization": Ready,

	"backing-up":                      Busy,
	"configuring-enhanced-monitoring": Busy,
	"configuring-iam-database-auth":   Busy,
	"configuring-log-exports":         Busy,
	"converting-to-vpc":               Busy,
	"creating":                        Busy,
	"maintenance":                     Busy,
	"modifying":                       Busy,
	"moving-to-vpc":                   Busy,
	"rebooting":                       Busy,
	"renaming":                        Busy,
	"resetting-master-credentials":    Busy,
	"starting":                        Busy,
	"storage-config-upgrade":          Busy,
	"upgrading":                       Busy,

	"failed":                              Idle, // "Amazon RDS can't recover it": a person restores it
	"inaccessible-encryption-credentials": Idle,
	// "if the KMS key is active, restarting the DB instance can recover it":
	// someone must act first.
	"inaccessible-encryption-credentials-recoverable": Idle,
	"incompatible-create":                             Idle,
	"incompatible-network":                            Idle,
	"incompatible-option-group":                       Idle,
	"incompatible-parameters":                         Idle,
	"incompatible-restore":                            Idle,
	"insufficient-capacity":                           Idle,
	"restore-error":                                   Idle,
	"stopped":                                         Idle,
	"stopping":                                        Idle,
	"storage-full":                                    Idle,
	"upgrade_failed":                                  Idle, // spelled with an underscore on the page

	"deleting":        Gone,
	"delete-precheck": Gone, // "validating that read replicas are safe to delete"
}

// ReadinessOf classifies an instance status.
func ReadinessOf(status string) Readiness {
	if r, ok := statuses[status]; ok {
		return r
	}
	return Busy
}
