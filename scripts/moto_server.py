"""The moto server as `scripts/test` and `hangar dev` run it: `python moto_server.py -H HOST -p PORT`.

Two differences from `moto_server`:
- DynamoDB requests are served one at a time. moto serves each request on its own thread
  and checks a write's condition before applying it without a lock, so two concurrent
  conditional writes (or a transaction and a read) can interleave; DynamoDB applies every
  conditional write and transaction atomically. One lock over moto's DynamoDB request
  handler gives the tests DynamoDB's guarantee, so a test that counts seats under
  concurrency tests Hangar's conditions, not moto's races. Other services stay threaded.
- It exits when the process that started it exits, so a crashed test run or stack leaves no
  server behind.
"""
import os
import sys
import threading
import time

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_dynamodb = threading.Lock()
_call_action = DynamoHandler.call_action


def _one_at_a_time(self):
    with _dynamodb:
        return _call_action(self)


DynamoHandler.call_action = _one_at_a_time

_parent = os.getppid()


def _exit_with_parent():
    while os.getppid() == _parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=_exit_with_parent, daemon=True).start()
sys.exit(main(sys.argv[1:]))
