"""What the Python benchmark tools share: a `roost serve` configuration for a fresh data directory,
plaintext on loopback (as the peers run), with the given listeners and extra sections; and the
clean stop of the server they started."""

import subprocess


def loopback_config(data, listeners, sections=""):
    """`listeners`: (protocol, port, tls) on 127.0.0.1; `sections`: more TOML after them."""
    text = f'''hostname = "mx.roost.test"
data_directory = "{data}"
domains = ["example.test"]

[tls]
certificate = "{data}/tls/cert.pem"
key = "{data}/tls/key.pem"
plaintext_auth_on_loopback = true
'''
    for protocol, port, tls in listeners:
        text += f'\n[[listeners]]\nprotocol = "{protocol}"\naddress = "127.0.0.1"\nport = {port}\ntls = "{tls}"\n'
    return text + ("\n" + sections if sections else "")


def stop_server(server):
    """SIGTERM (a clean shutdown), then SIGKILL if it has not exited within 30 s."""
    if server is None:
        return
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":
    # Shell tools: roost_bench.py DATA PROTOCOL:PORT:TLS [...] < sections.toml > roost.toml
    import sys
    if len(sys.argv) < 3:
        sys.exit("usage: roost_bench.py DATA PROTOCOL:PORT:TLS [...] < sections.toml > roost.toml")
    sys.stdout.write(loopback_config(sys.argv[1], [spec.split(":") for spec in sys.argv[2:]], sys.stdin.read()))
