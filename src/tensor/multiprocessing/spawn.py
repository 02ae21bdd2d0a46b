"""``tensor.multiprocessing.spawn``: start ``nprocs`` processes running ``fn(i, *args)`` and
wait for them (PyTorch's ``torch.multiprocessing.spawn``).

Each child writes the traceback of an exception it raised to its own temporary file and exits
with code 1; ``ProcessContext.join`` waits for any child to end, and when one failed it stops
the others (SIGTERM, then SIGKILL after the grace period) and raises
``ProcessRaisedException`` (with the child's traceback) or ``ProcessExitedException`` (exit
code or signal name).
"""

import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed

ENV_VAR_PARALLEL_START = "TORCH_MP_PARALLEL_START"

log = logging.getLogger(__name__)

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "spawn", "SpawnContext", "start_processes"]


class ProcessException(Exception):
    __slots__ = ["error_index", "error_pid"]

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A child raised an exception; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A child ended with a non-zero exit code or a signal without raising."""

    __slots__ = ["exit_code"]

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return (type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                             self.signal_name))


def _set_parent_death_signal():
    """On Linux, ask for SIGINT when the parent dies (so orphaned children end too)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGINT))          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _wrap(fn, i, args, error_file):
    _set_parent_death_signal()
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass                                        # stopped by the parent
    except Exception:
        import traceback
        with open(error_file, "wb") as fh:
            pickle.dump(traceback.format_exc(), fh)
        sys.exit(1)


class ProcessContext:
    def __init__(self, processes, error_files):
        self.error_files = error_files
        self.processes = processes
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [int(p.pid) for p in self.processes]

    def _join_procs_with_timeout(self, timeout):
        end = time.monotonic() + timeout
        for p in self.processes:
            p.join(max(0, end - time.monotonic()))

    def join(self, timeout=None, grace_period=None):
        """Waits (up to ``timeout`` seconds) for a child to end. True once all have ended
        well, False while some still run; raises when one failed (after stopping the
        rest)."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(self.sentinels.keys(), timeout=timeout)
        failed = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            proc = self.processes[index]
            proc.join()
            if proc.exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        if grace_period is not None:
            self._join_procs_with_timeout(grace_period)
        for p in self.processes:
            if p.is_alive():
                log.warning("Terminating process %s via signal SIGTERM", p.pid)
                p.terminate()
        self._join_procs_with_timeout(30 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                log.warning("Unable to shutdown process %s via SIGTERM , forcefully exiting "
                            "via SIGKILL", p.pid)
                p.kill()
            p.join()
        proc = self.processes[failed]
        if not os.access(self.error_files[failed], os.R_OK):
            code = proc.exitcode
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"<Unknown signal {-code}>"
                raise ProcessExitedException(
                    f"process {failed:d} terminated with signal {name}", error_index=failed,
                    error_pid=proc.pid, exit_code=code, signal_name=name)
            raise ProcessExitedException(
                f"process {failed:d} terminated with exit code {code:d}", error_index=failed,
                error_pid=proc.pid, exit_code=code)
        with open(self.error_files[failed], "rb") as fh:
            trace = pickle.load(fh)
        msg = f"\n\n-- Process {failed:d} terminated with the following error:\n" + trace
        raise ProcessRaisedException(msg, failed, proc.pid)


class SpawnContext(ProcessContext):
    def __init__(self, processes, error_files):
        warnings.warn("SpawnContext is renamed to ProcessContext since 1.4 release.",
                      stacklevel=2)
        super().__init__(processes, error_files)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Starts ``nprocs`` children with ``start_method`` running ``fn(i, *args)``; waits for
    them when ``join`` (returning None), else returns the ``ProcessContext``. With
    ``forkserver`` and ``TORCH_MP_PARALLEL_START=1`` the children start from a thread pool."""
    parallel = (start_method == "forkserver"
                and os.environ.get(ENV_VAR_PARALLEL_START, "0") == "1")
    ctx = multiprocessing.get_context(start_method)
    error_files = [None] * nprocs
    processes = [None] * nprocs

    def start_one(i):
        # the child writes its traceback to this path (absent: no exception was raised)
        tf = tempfile.NamedTemporaryFile(prefix="pytorch-errorfile-", suffix=".pickle",
                                         delete=False)
        tf.close()
        os.unlink(tf.name)
        proc = ctx.Process(target=_wrap, args=(fn, i, args, tf.name), daemon=daemon)
        proc.start()
        return i, proc, tf.name

    if parallel:
        with ThreadPoolExecutor(max_workers=nprocs) as pool:
            for fut in as_completed([pool.submit(start_one, i) for i in range(nprocs)]):
                i, proc, name = fut.result()
                error_files[i], processes[i] = name, proc
    else:
        for i in range(nprocs):
            _, proc, name = start_one(i)
            error_files[i], processes[i] = name, proc
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``start_processes`` with the ``spawn`` start method (another ``start_method`` is
    refused with a FutureWarning and replaced by ``spawn``)."""
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t "
                      "torch.multiprocessing.start_processes(...)", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
