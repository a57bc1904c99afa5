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
import datetime
import random
import string
import sys
import threading

from moto.dynamodb import models as dynamodb
from moto.iam.models import iam_backends
from moto.rds import models
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

from moto.server import main  # noqa: E402  (after the patches, on purpose)

main(sys.argv[1:])
