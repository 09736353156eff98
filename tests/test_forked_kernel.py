"""The tests' forked kernels (tests/jupyter/): a kernel asked of the session's zygote is its
fork, takes the kernel spec's environment and the launcher's folder, is interrupted by the
server's Interrupt and ends with its launcher, even a killed one; without a zygote the
launcher is an ordinary kernel."""
from __future__ import annotations

import os
import select
import time
from pathlib import Path

import pytest
import torch

jupyter_client = pytest.importorskip("jupyter_client")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

KERNELS = Path(__file__).parent / "jupyter" / "kernels"
ZYGOTE = "SEQ2SEQ_LAB_KERNEL_ZYGOTE"
pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="Linux's pidfds")


def start(name: str, cwd: Path):
    specs = KernelSpecManager(kernel_dirs=[str(KERNELS)])
    manager = KernelManager(kernel_name=name, kernel_spec_manager=specs)
    manager.start_kernel(cwd=str(cwd))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return manager, client


def ask(client, code: str) -> str:
    out = []
    reply = client.execute_interactive(
        code, timeout=120,
        output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out).strip()


def wait_ended(pid: int) -> None:
    """Returns once ``pid`` has ended (its pidfd turns readable): an event, not a time."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([handle], [], [], 120)
        assert ready, f"process {pid} still runs after its launcher was killed"
    finally:
        os.close(handle)


@pytest.fixture
def zygote_socket():
    """The session's zygote once it listens (its socket appears then; a kernel asked of it
    before is an ordinary one)."""
    path = os.environ.get(ZYGOTE)
    if not path:
        pytest.skip("no kernel zygote in this session (tests/conftest.py starts one)")
    deadline = time.monotonic() + 120   # a safety net: it listens after ~5 s of imports
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert os.path.exists(path), "the session's kernel zygote never listened"
    return path


def test_a_kernel_is_forked_from_the_zygote_and_ends_with_its_killed_launcher(
        zygote_socket, tmp_path):
    manager, client = start("seq2seq-lab-fast", tmp_path)
    try:
        launcher = manager.provisioner.process.pid
        facts = ask(client, "import os, sys; print(os.getpid(), os.getppid(), "
                            "os.environ.get('SEQ2SEQ_LAB_FAST'), os.getcwd(), "
                            "'torch' in sys.modules, "
                            "sys.modules['torch'].backends.cpu.get_cpu_capability())")
        kernel, parent, fast, cwd, torch_loaded, kernels = facts.split()
        kernel, parent = int(kernel), int(parent)
        assert kernel != launcher and parent != launcher     # forked elsewhere ...
        assert "kernel_zygote.py" in Path(f"/proc/{parent}/cmdline").read_text()  # ... here
        assert fast == "1" and cwd == str(tmp_path)           # the spec's env, its folder
        assert torch_loaded == "True"                         # imported before the fork
        # ... with the CPU kernels the package chooses (cpu_kernels.py), as in this process
        assert kernels == torch.backends.cpu.get_cpu_capability()

        # Interrupt (SIGINT to the launcher's process group) reaches the kernel's cell.
        # stop_on_error=False: after a failed cell ipykernel aborts what reaches it in the
        # next moment, and the question below could be that (a race CI met once).
        client.execute("import time\nprint('looping', flush=True)\nwhile True: time.sleep(0.05)",
                       stop_on_error=False)
        while client.get_iopub_msg(timeout=60)["content"].get("text") != "looping\n":
            pass   # the cell runs (Interrupt before it can be lost: ipykernel's race)
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=60)
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert ask(client, "print(6 * 7)") == "42"   # and it lives on
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)   # SIGKILL to the launcher
    wait_ended(kernel)


def test_without_a_zygote_the_launcher_is_an_ordinary_kernel(tmp_path, monkeypatch):
    monkeypatch.delenv(ZYGOTE, raising=False)
    manager, client = start("python3", tmp_path)
    try:
        pid = int(ask(client, "import os; print(os.getpid())"))
        assert pid == manager.provisioner.process.pid   # the launcher exec'd ipykernel
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
