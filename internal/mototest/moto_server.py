# Runs moto's server with two gaps closed, so the tests see what AWS
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
import random
import string
import sys
import threading

from moto.dynamodb import models as dynamodb
from moto.rds import models

_init = models.DBInstance.__init__


def _init_with_own_id(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.dbi_resource_id = "db-" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(26))


models.DBInstance.__init__ = _init_with_own_id

_dynamodb_lock = threading.RLock()


def _atomic(method):
    def locked(self, *args, **kwargs):
        with _dynamodb_lock:
            return method(self, *args, **kwargs)

    return locked


for _name in ("get_item", "put_item", "update_item", "delete_item", "transact_write_items", "query"):
    setattr(dynamodb.DynamoDBBackend, _name, _atomic(getattr(dynamodb.DynamoDBBackend, _name)))

from moto.server import main  # noqa: E402  (after the patch, on purpose)

main(sys.argv[1:])
