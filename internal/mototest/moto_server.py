# Runs moto's server with a few gaps closed, so the tests see what AWS
# documents. Tests only.
#
# 1. moto gives every DB instance the same DbiResourceId
#    ("db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U", moto/rds/models.py), where RDS gives
#    each its own immutable ID. forcessl keys schedules and its memory by
#    that ID.
# 2. moto's server is threaded and its DynamoDB conditional writes are not
#    atomic across threads (the condition is checked, then the item
#    written). DynamoDB's are: forcessl's leases rely on it. Every write
#    (and the reads between them) runs under one lock here.
# 3. moto's STS AssumeRole succeeds for a role that does not exist ("the
#    role does not need to exist", moto/sts/models.py); AWS answers
#    AccessDenied. forcessl reports such an account as not covered.
# 4. moto's DescribeDBClusters does not know the db-cluster-resource-id
#    filter (InvalidParameterValue); RDS documents it. forcessl finds a
#    renamed cluster by it.
# 5. moto gives every DB instance the CA "rds-ca-default", which is no RDS
#    CA, and no CertificateDetails. AWS gives new instances the account's
#    default CA (rds-ca-rsa2048-g1, the system default since 2024) and
#    reports the server certificate's CA and expiry (API: CertificateDetails).
# 6. moto reports every parameter group "in-sync" (ParameterApplyStatus of
#    an instance's DBParameterGroups, DBClusterParameterGroupStatus of a
#    cluster's members) whatever happened. RDS documents (ModifyDBInstance
#    and ModifyDBParameterGroup API references; Aurora User Guide,
#    parameter-groups-overview and USER_RebootCluster; RebootDBCluster):
#    - a different group attached (ModifyDBInstance DBParameterGroupName,
#      ModifyDBCluster DBClusterParameterGroupName) leaves the instance, or
#      every member, "pending-reboot", whatever ApplyImmediately says;
#    - a parameter modified with ApplyMethod pending-reboot (a static one,
#      or a dynamic one so deferred) leaves every instance or member on the
#      group "pending-reboot"; ApplyMethod immediate is for dynamic
#      parameters only (a static one is refused: InvalidParameterCombination)
#      and applies without a reboot: "applying", then "in-sync";
#    - RebootDBInstance puts an instance's (and, for a cluster member, its
#      cluster's) pending parameters in effect: "in-sync"; RebootDBCluster
#      (which moto lacks) does it for every member of a Multi-AZ DB cluster
#      and is refused for Aurora ("Use this operation only for a non-Aurora
#      Multi-AZ DB cluster"; the error code is not documented, so
#      InvalidParameterCombination as internal/fakeaws).
#    Kept small and deterministic: "applying" is what the first
#    DescribeDBInstances (DescribeDBClusters for members) showing the
#    resource after the change says, "in-sync" the next. ApplyType is the
#    one the group's parameter was seeded with. A parameter sent with
#    Source "system" or "engine-default" is a test seeding what AWS would
#    already report (Source is what DescribeDBParameters says; no caller of
#    AWS sets it, and default groups cannot be modified at all): it changes
#    no status. A
#    rebooted Aurora writer restarts only itself here (Aurora MySQL 2.10+,
#    Aurora PostgreSQL after 14.6/13.9/12.13); the older versions' writer
#    restart of every reader is not modelled.
# 7. moto keeps a modified parameter's Source as it was; RDS reports a
#    parameter a caller set as Source "user" (DescribeDBParameters API
#    reference), which is how forcessl reads what differs between a
#    forcessl-* group and its source.
# 8. moto's event log (DescribeEvents) has no restart, and its
#    DescribeEvents ignores StartTime, EndTime and EventCategories. RDS logs
#    RDS-EVENT-0006 "DB instance restarted." (category availability) for
#    every restart (RDS User Guide, "Amazon RDS event categories and event
#    messages"): here a RebootDBInstance, and every member of a
#    RebootDBCluster. The API reference documents StartTime, EndTime and
#    EventCategories as filters of DescribeEvents: here they filter. (The
#    event's Date is the host's clock, as moto's other events.)
import datetime
import random
import string
import sys
import threading
import weakref

from moto.core.responses import ActionResult, PaginatedResult
from moto.dynamodb import models as dynamodb
from moto.iam.models import iam_backends
from moto.rds import models
from moto.rds import responses as rds_responses
from moto.rds.exceptions import DBClusterNotFoundError, InvalidParameterCombination
from moto.sts import models as sts
from moto.sts.exceptions import STSClientError

models.DBCluster.SUPPORTED_FILTERS["db-cluster-resource-id"] = models.FilterDef(["db_cluster_resource_id"], "DB Cluster Resource Ids")

_init = models.DBInstance.__init__


def _init_with_own_id(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.dbi_resource_id = "db-" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(26))
    if self.ca_certificate_identifier == "rds-ca-default":
        self.ca_certificate_identifier = "rds-ca-rsa2048-g1"


def _certificate_details(self):
    # A server certificate is valid for about a year after it is issued.
    return {"CAIdentifier": self.ca_certificate_identifier,
            "ValidTill": datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365)}


models.DBInstance.certificate_details = property(_certificate_details)


models.DBInstance.__init__ = _init_with_own_id

_dynamodb_lock = threading.RLock()


def _atomic(method):
    def locked(self, *args, **kwargs):
        with _dynamodb_lock:
            return method(self, *args, **kwargs)

    return locked


for _name in ("get_item", "put_item", "update_item", "delete_item", "transact_write_items", "query"):
    setattr(dynamodb.DynamoDBBackend, _name, _atomic(getattr(dynamodb.DynamoDBBackend, _name)))

_assume_role = sts.STSBackend.assume_role


def _assume_existing_role(self, region_name, role_session_name, role_arn, *args, **kwargs):
    account = role_arn.split(":")[4]
    try:
        iam_backends[account]["aws"].get_role_by_arn(arn=role_arn)
    except Exception:
        raise STSClientError("AccessDenied", "User is not authorized to perform: sts:AssumeRole on resource: " + role_arn)
    return _assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs)


sts.STSBackend.assume_role = _assume_existing_role

# 6. Parameter apply status, as RDS reports it (see the header).
IN_SYNC, PENDING_REBOOT, APPLYING = "in-sync", "pending-reboot", "applying"


class _ApplyStatus:
    """One DB instance's apply status of one parameter group: its own DB
    parameter group, or (a member's) its cluster's."""

    def __init__(self):
        self.status, self.shown = IN_SYNC, False

    def change(self, status):
        if self.status != PENDING_REBOOT:  # what waits for a reboot still does
            self.status, self.shown = status, False

    def reboot(self):
        self.status = IN_SYNC

    def look(self):
        # "applying" the first time a Describe shows it, then "in-sync".
        if self.status == APPLYING:
            if self.shown:
                self.status = IN_SYNC
            self.shown = True


# Kept beside moto's objects, not in them: moto copies an instance's
# attributes into kwargs (restore from snapshot), and a reset drops them.
_apply_status = weakref.WeakKeyDictionary()
_apply_lock = threading.Lock()  # moto's server is threaded


def _status(db, scope):
    with _apply_lock:
        per = _apply_status.setdefault(db, {})
        return per.setdefault(scope, _ApplyStatus())


def _group_status_list(self):
    return [{"DBParameterGroupName": g.name, "ParameterApplyStatus": _status(self, "group").status}
            for g in self.db_parameter_groups()]


models.DBInstance.db_parameter_group_status_list = property(_group_status_list)

_cluster_members = models.DBCluster.db_cluster_members.fget


def _cluster_members_status(self):
    members = _cluster_members(self)
    for m, db in zip(members, self.members):
        m["DBClusterParameterGroupStatus"] = _status(db, "cluster").status
    return members


models.DBCluster.db_cluster_members = property(_cluster_members_status)


def _effect(stored, params):
    """The status a modification of these parameters leaves, or None."""
    effect = None
    for p in params:
        if p.get("Source") in ("system", "engine-default"):
            continue  # seeding what AWS reports, see the header
        method = p.get("ApplyMethod") or PENDING_REBOOT
        apply_type = (stored.get(p.get("ParameterName")) or {}).get("ApplyType") or p.get("ApplyType")
        if method == "immediate" and apply_type == "static":
            raise InvalidParameterCombination("cannot use immediate apply method for static parameter")
        effect = PENDING_REBOOT if method != "immediate" else effect or APPLYING
    return effect


def _instance_group(db):
    try:
        return db.db_parameter_groups()[0].name
    except Exception:  # a cluster member moto cannot name a default group for
        return None


_modify_group = models.RDSBackend.modify_db_parameter_group


def _as_set_by_caller(params):
    """A parameter a caller modifies reports Source "user" afterwards
    (DescribeDBParameters API reference: Source "user" lists the parameters
    a user set); moto keeps whatever Source the parameter had. A test
    seeding what AWS reports sends its own Source (see the header)."""
    return [p if p.get("Source") else dict(p, Source="user") for p in params]


def _modify_group_applies(self, db_parameter_group_name, db_parameter_group_parameters):
    params = _as_set_by_caller(db_parameter_group_parameters)
    group = self.db_parameter_groups.get(db_parameter_group_name)
    effect = _effect(group.parameters if group else {}, params)
    group = _modify_group(self, db_parameter_group_name, params)
    for db in list(self.databases.values()):
        if effect and _instance_group(db) == group.name:
            _status(db, "group").change(effect)
    return group


models.RDSBackend.modify_db_parameter_group = _modify_group_applies

_modify_cluster_group = models.RDSBackend.modify_db_cluster_parameter_group


def _modify_cluster_group_applies(self, db_cluster_parameter_group_name, db_cluster_parameter_group_parameters):
    params = _as_set_by_caller(db_cluster_parameter_group_parameters)
    group = self.db_cluster_parameter_groups.get(db_cluster_parameter_group_name)
    effect = _effect(group.parameters if group else {}, params)
    group = _modify_cluster_group(self, db_cluster_parameter_group_name, params)
    for cluster in list(self.clusters.values()):
        if effect and cluster.parameter_group == group.name:
            for db in cluster.members:
                _status(db, "cluster").change(effect)
    return group


models.RDSBackend.modify_db_cluster_parameter_group = _modify_cluster_group_applies

_modify_instance = models.RDSBackend.modify_db_instance


def _modify_instance_attaches(self, db_instance_identifier, db_kwargs):
    before = _instance_group(self.describe_db_instances(db_instance_identifier)[0])
    db = _modify_instance(self, db_instance_identifier, db_kwargs)
    if _instance_group(db) != before:
        _status(db, "group").change(PENDING_REBOOT)
    return db


models.RDSBackend.modify_db_instance = _modify_instance_attaches

_modify_cluster = models.RDSBackend.modify_db_cluster


def _modify_cluster_attaches(self, kwargs):
    old_id = kwargs.get("db_cluster_identifier")
    new_id = kwargs.get("new_db_cluster_identifier") or old_id
    before = self.clusters[old_id].parameter_group if old_id in self.clusters else None
    out = _modify_cluster(self, kwargs)
    cluster = self.clusters.get(new_id)
    if cluster is not None and cluster.parameter_group != before:
        for db in cluster.members:
            _status(db, "cluster").change(PENDING_REBOOT)
    return out


models.RDSBackend.modify_db_cluster = _modify_cluster_attaches

_reboot_instance = models.RDSBackend.reboot_db_instance


def _reboot_instance_applies(self, db_instance_identifier):
    db = _reboot_instance(self, db_instance_identifier)
    db.add_event("DB_INSTANCE_RESTARTED")
    _status(db, "group").reboot()
    if getattr(db, "cluster", None) is not None:
        _status(db, "cluster").reboot()
    return db


models.RDSBackend.reboot_db_instance = _reboot_instance_applies


def _reboot_cluster(self, db_cluster_identifier):
    cluster = self.clusters.get(db_cluster_identifier)
    if cluster is None:
        raise DBClusterNotFoundError(db_cluster_identifier)
    if cluster.engine.startswith("aurora"):
        raise InvalidParameterCombination("RebootDBCluster is only for a non-Aurora Multi-AZ DB cluster")
    for db in cluster.members:
        db.add_event("DB_INSTANCE_RESTARTED")
        _status(db, "group").reboot()
        _status(db, "cluster").reboot()
    return cluster


models.RDSBackend.reboot_db_cluster = _reboot_cluster


def _reboot_cluster_response(self):
    return ActionResult({"DBCluster": self.backend.reboot_db_cluster(self.params.get("DBClusterIdentifier"))})


rds_responses.RDSResponse.reboot_db_cluster = _reboot_cluster_response


models.Event.EVENT_MAP["DB_INSTANCE_RESTARTED"] = {"Categories": ["availability"], "Message": "DB instance restarted."}

_describe_events = models.RDSBackend.describe_events


def _utc(t):
    if t is None:
        return None
    if not isinstance(t, datetime.datetime):
        t = datetime.datetime.fromisoformat(str(t).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def _describe_events_filters(self, start_time=None, end_time=None, event_categories=None, **kwargs):
    lo, hi = _utc(start_time), _utc(end_time)
    return [e for e in _describe_events(self, **kwargs)
            if (lo is None or _utc(e.date) >= lo) and (hi is None or _utc(e.date) <= hi)
            and (not event_categories or set(e.event_categories) & set(event_categories))]


models.RDSBackend.describe_events = _describe_events_filters


class _LookAtInstances(ActionResult):
    # Runs between PaginatedResult's paging and the serialization, so only
    # the instances on the page returned are looked at.
    def execute_result(self, context):
        for db in self.result["DBInstances"]:
            _status(db, "group").look()
        return super().execute_result(context)


class _InstancesPage(PaginatedResult, _LookAtInstances):
    pass


_describe_instances = rds_responses.RDSResponse.describe_db_instances


def _describe_instances_looks(self):
    return _InstancesPage(_describe_instances(self).result)


rds_responses.RDSResponse.describe_db_instances = _describe_instances_looks


class _LookAtClusters(ActionResult):
    def execute_result(self, context):
        for cluster in self.result["DBClusters"]:
            for db in cluster.members:
                _status(db, "cluster").look()
        return super().execute_result(context)


_describe_clusters = rds_responses.RDSResponse.describe_db_clusters


def _describe_clusters_looks(self):
    return _LookAtClusters(_describe_clusters(self).result)


rds_responses.RDSResponse.describe_db_clusters = _describe_clusters_looks

from moto.server import main  # noqa: E402  (after the patches, on purpose)

main(sys.argv[1:])
