# Runs moto's server with one gap closed: moto gives every DB instance the
# same DbiResourceId ("db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U", moto/rds/models.py),
# where RDS gives each its own immutable ID. forcessl keys schedules and its
# memory by that ID, so the tests need it unique, as on AWS. Tests only.
import random
import string
import sys

from moto.rds import models

_init = models.DBInstance.__init__


def _init_with_own_id(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.dbi_resource_id = "db-" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(26))


models.DBInstance.__init__ = _init_with_own_id

from moto.server import main  # noqa: E402  (after the patch, on purpose)

main(sys.argv[1:])
