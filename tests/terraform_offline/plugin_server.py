"""A Terraform plugin-protocol-6 server in Python: go-plugin handshake, mTLS and gRPC.

Terraform starts a provider as a child process and talks to it through HashiCorp's
go-plugin:

1. the child gets ``TF_PLUGIN_MAGIC_COOKIE`` (refuses to run without it, so that nobody
   starts a plugin by hand by accident) and ``PLUGIN_CLIENT_CERT`` (Terraform runs
   go-plugin with AutoMTLS: the PEM certificate its client will present);
2. the child listens (here: a unix socket in a private temp dir), and prints one line
   ``CORE-PROTOCOL|APP-PROTOCOL|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT`` on stdout --
   ``1|6|unix|/tmp/…/plugin.sock|grpc|<base64 DER certificate, no padding>``;
3. Terraform dials the socket over TLS, trusting exactly the certificate from that line
   (the client certificate is not checked, see ``serve``).

Besides ``tfplugin6.Provider`` go-plugin expects ``plugin.GRPCController`` (Shutdown) and
``plugin.GRPCStdio``. The protobuf/grpc stubs come from the ``tf`` package
(``tf.gen.tfplugin_pb2``, protocol 6.x). RPCs newer than those stubs (resource identity,
ephemeral resources, list resources, actions) answer UNIMPLEMENTED, which Terraform treats
as "provider has none of those".
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from tf.gen import grpc_controller_pb2 as controller_pb
from tf.gen import grpc_controller_pb2_grpc as controller_rpc
from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc

from . import cty
from .provider_base import Diagnostic, OfflineProvider, ProviderDiagnostics, ProviderError
from .schema import schema_to_proto

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
# Directory where the serialized GetProviderSchema reply is cached (set by the launcher).
SCHEMA_CACHE_ENV = "TF_OFFLINE_SCHEMA_CACHE_DIR"
# Terraform's provider schemas can be large (aws: ~10 MB of protobuf); match the 256 MiB
# limit terraform-plugin-go sets on both directions.
_MAX_MESSAGE = 256 << 20


# --------------------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------------------


def _self_signed_certificate() -> tuple[bytes, bytes, bytes]:
    """Return (key PEM, certificate PEM, certificate DER) for ``localhost``.

    go-plugin's client verifies the server with ServerName "localhost" against the one
    certificate printed in the handshake, so the certificate is its own CA.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        key_pem,
        cert.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.DER),
    )


# --------------------------------------------------------------------------------------
# tfplugin6.Provider
# --------------------------------------------------------------------------------------


def _diag(severity: int, summary: str, detail: str = "", path: list[str] | None = None) -> Any:
    diag = pb.Diagnostic(severity=severity, summary=summary, detail=detail)
    for step in path or []:
        diag.attribute.steps.add(attribute_name=step)
    return diag


def _diags(diagnostics: list[Diagnostic] | None) -> list[Any]:
    return [
        _diag(pb.Diagnostic.WARNING if d.warning else pb.Diagnostic.ERROR, d.summary, d.detail, list(d.path))
        for d in diagnostics or []
    ]


def _error_diags(exc: BaseException) -> list[Any]:
    if isinstance(exc, ProviderError):
        return [_diag(pb.Diagnostic.ERROR, exc.summary, exc.detail, exc.path)]
    if isinstance(exc, ProviderDiagnostics):
        return _diags(exc.diagnostics)
    # A bug in this test double: surface the traceback in Terraform's error output rather
    # than as an opaque gRPC failure.
    return [_diag(pb.Diagnostic.ERROR, f"offline provider crashed: {exc!r}", traceback.format_exc())]


def _dv(value: Any) -> Any:
    return pb.DynamicValue(msgpack=cty.encode(value))


def _read_dv(value: Any) -> Any:
    if value.msgpack:
        return cty.decode(value.msgpack)
    if value.json:
        import json

        return json.loads(value.json)
    return None


class ProviderServicer(rpc.ProviderServicer):
    """Translates tfplugin6 messages to :class:`OfflineProvider` calls and back."""

    def __init__(self, provider: OfflineProvider) -> None:
        self.provider = provider
        self._schema_response: Any = None
        self._lock = threading.Lock()

    # -- schema ------------------------------------------------------------------------

    def _capabilities(self) -> Any:
        # get_provider_schema_optional lets Terraform reuse the schema it already fetched
        # from another instance of this provider in the same command: every extra launch
        # of a Python provider costs time.
        return pb.ServerCapabilities(get_provider_schema_optional=True, plan_destroy=False)

    def GetMetadata(self, request: Any, context: Any) -> Any:
        schema = self.provider.schema
        return pb.GetMetadata.Response(
            server_capabilities=self._capabilities(),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in schema.resources],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in schema.data_sources],
        )

    def _build_schema_response(self) -> Any:
        schema = self.provider.schema
        resp = pb.GetProviderSchema.Response(
            provider=schema_to_proto(schema.provider),
            server_capabilities=self._capabilities(),
        )
        for name, res in schema.resources.items():
            resp.resource_schemas[name].CopyFrom(schema_to_proto(res))
        for name, ds in schema.data_sources.items():
            resp.data_source_schemas[name].CopyFrom(schema_to_proto(ds))
        return resp

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        with self._lock:
            if self._schema_response is None:
                self._schema_response = self._cached_schema_response()
            return self._schema_response

    def _cached_schema_response(self) -> Any:
        # Building the aws reply takes ~0.5 s of Python and Terraform asks for it in most
        # provider launches, so the serialized reply is kept in the toolchain's cache dir.
        cache_dir = os.environ.get(SCHEMA_CACHE_ENV)
        key = self.provider.schema.cache_key
        if not cache_dir or not key:
            return self._build_schema_response()
        path = Path(cache_dir) / f"{key}.GetProviderSchema.pb"
        if path.is_file():
            return pb.GetProviderSchema.Response.FromString(path.read_bytes())
        resp = self._build_schema_response()
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(resp.SerializeToString())
            tmp.replace(path)  # atomic: concurrent launches never read half a file
        except OSError:
            tmp.unlink(missing_ok=True)
        return resp

    def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb.GetFunctions.Response()

    def CallFunction(self, request: Any, context: Any) -> Any:
        return pb.CallFunction.Response(error=pb.FunctionError(text=f"unknown function {request.name}"))

    # -- provider ----------------------------------------------------------------------

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        try:
            self.provider.configure(_read_dv(request.config) or {})
        except Exception as exc:
            return pb.ConfigureProvider.Response(diagnostics=_error_diags(exc))
        return pb.ConfigureProvider.Response()

    def StopProvider(self, request: Any, context: Any) -> Any:
        # "Stop" asks a provider to cancel in-flight calls; ours never block.
        return pb.StopProvider.Response()

    # -- validation --------------------------------------------------------------------

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        try:
            found = self.provider.validate_resource(request.type_name, _read_dv(request.config))
        except Exception as exc:
            return pb.ValidateResourceConfig.Response(diagnostics=_error_diags(exc))
        return pb.ValidateResourceConfig.Response(diagnostics=_diags(found))

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        try:
            self.provider.validate_data_source(request.type_name, _read_dv(request.config))
        except Exception as exc:
            return pb.ValidateDataResourceConfig.Response(diagnostics=_error_diags(exc))
        return pb.ValidateDataResourceConfig.Response()

    # -- managed resources -------------------------------------------------------------

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        # State written by this provider already has the current schema's shape; handing
        # the JSON back lets Terraform decode it with the type it knows.
        if not request.raw_state.json:
            return pb.UpgradeResourceState.Response(
                diagnostics=[_diag(pb.Diagnostic.ERROR, "offline provider cannot upgrade flatmap state")]
            )
        return pb.UpgradeResourceState.Response(upgraded_state=pb.DynamicValue(json=request.raw_state.json))

    def ReadResource(self, request: Any, context: Any) -> Any:
        try:
            state = self.provider.read_resource(request.type_name, _read_dv(request.current_state))
        except Exception as exc:
            return pb.ReadResource.Response(diagnostics=_error_diags(exc))
        return pb.ReadResource.Response(new_state=_dv(state), private=request.private)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        try:
            planned, replace = self.provider.plan_resource(
                request.type_name,
                _read_dv(request.prior_state),
                _read_dv(request.proposed_new_state),
                _read_dv(request.config),
            )
        except Exception as exc:
            return pb.PlanResourceChange.Response(diagnostics=_error_diags(exc))
        resp = pb.PlanResourceChange.Response(
            planned_state=_dv(planned),
            planned_private=request.prior_private,
            # Like SDKv2 providers (almost all of hashicorp/aws): Terraform then tolerates
            # small plan inconsistencies with a log warning instead of failing the run.
            legacy_type_system=True,
        )
        for path in replace:
            attr_path = resp.requires_replace.add()
            for step in path:
                attr_path.steps.add(attribute_name=step)
        return resp

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        try:
            new_state = self.provider.apply_resource(
                request.type_name,
                _read_dv(request.prior_state),
                _read_dv(request.planned_state),
                _read_dv(request.config),
            )
        except Exception as exc:
            return pb.ApplyResourceChange.Response(diagnostics=_error_diags(exc))
        return pb.ApplyResourceChange.Response(
            new_state=_dv(new_state), private=request.planned_private, legacy_type_system=True
        )

    def ImportResourceState(self, request: Any, context: Any) -> Any:
        return pb.ImportResourceState.Response(
            diagnostics=[_diag(pb.Diagnostic.ERROR, "import is not supported by the offline provider")]
        )

    def MoveResourceState(self, request: Any, context: Any) -> Any:
        return pb.MoveResourceState.Response(
            diagnostics=[_diag(pb.Diagnostic.ERROR, "moved blocks across types are not supported offline")]
        )

    # -- data sources ------------------------------------------------------------------

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        try:
            state = self.provider.read_data_source(request.type_name, _read_dv(request.config))
        except Exception as exc:
            return pb.ReadDataSource.Response(diagnostics=_error_diags(exc))
        return pb.ReadDataSource.Response(state=_dv(state))


# --------------------------------------------------------------------------------------
# go-plugin plumbing
# --------------------------------------------------------------------------------------


class _Controller(controller_rpc.GRPCControllerServicer):
    def __init__(self, on_shutdown: Callable[[], None]) -> None:
        self._on_shutdown = on_shutdown

    def Shutdown(self, request: Any, context: Any) -> Any:
        # Reply first, then stop: a timer lets the response leave before the server dies.
        threading.Timer(0.01, self._on_shutdown).start()
        return controller_pb.Empty()


class _Stdio(stdio_rpc.GRPCStdioServicer):
    def StreamStdio(self, request: Any, context: Any) -> Iterator[Any]:
        # go-plugin can relay plugin stdout/stderr over gRPC; our output goes to the
        # inherited pipes instead (Terraform logs them), so the stream is empty.
        return iter(())


def _watch_parent(stop: threading.Event) -> None:
    """Exit when Terraform goes away without a Shutdown (crash, SIGKILL)."""
    parent = os.getppid()
    while not stop.wait(0.5):
        if os.getppid() != parent:
            os._exit(0)


def serve(provider: OfflineProvider) -> int:
    """Run ``provider`` as a Terraform plugin; returns when Terraform shuts it down."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "This binary is a plugin. These are not meant to be executed directly.\n"
            "Please execute the program that consumes these plugins, which will\n"
            "load any plugins automatically",
            file=sys.stderr,
        )
        return 1
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "6").split(",")
    if "6" not in versions:
        print(f"offline provider speaks protocol 6 only; Terraform offered {versions}", file=sys.stderr)
        return 1

    stop = threading.Event()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[
            ("grpc.max_send_message_length", _MAX_MESSAGE),
            ("grpc.max_receive_message_length", _MAX_MESSAGE),
        ],
    )
    rpc.add_ProviderServicer_to_server(ProviderServicer(provider), server)
    controller_rpc.add_GRPCControllerServicer_to_server(_Controller(stop.set), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(_Stdio(), server)

    key_pem, cert_pem, cert_der = _self_signed_certificate()
    # go-plugin's client certificate (PLUGIN_CLIENT_CERT) is ECDSA P-521, which gRPC's
    # BoringSSL does not offer in its CertificateRequest, so Go never sends it and
    # requiring it fails every handshake. Access control comes from the socket living in
    # a 0700 temp dir instead; the channel is still TLS with the server cert pinned.
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)

    with tempfile.TemporaryDirectory(prefix="tfoffline-") as tmp:
        sock = Path(tmp) / "plugin.sock"
        server.add_secure_port(f"unix:{sock}", credentials)
        server.start()
        threading.Thread(target=_watch_parent, args=(stop,), daemon=True).start()
        cert_b64 = base64.b64encode(cert_der).decode().rstrip("=")
        sys.stdout.write(f"1|6|unix|{sock}|grpc|{cert_b64}\n")
        sys.stdout.flush()
        stop.wait()
        server.stop(grace=0.05).wait()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown (gRPC's threads make it slow): Terraform waits for us
    # to exit after every Shutdown, and it starts providers many times per command.
    os._exit(0)
