"""The DKIM private key: read from ``[sender] dkim_key_file`` (only its owner may read it), made by
``pressctl dkim keygen``, and the TXT record that publishes its public half.

The key is a secret: no line here ever shows it, a file others may read is refused (as ssh refuses one), and
a new key is written 0600 inside the workspace's private folder (``.pressctl/dkim/``) unless ``--out`` names
another path.
"""

from __future__ import annotations

import base64
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.config import Workspace
from pressctl.config.sender import check_selector
from pressctl.errors import ConfigError, InputError
from pressctl.private import STATE_DIR_NAME, private_dir

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    SigningKeyType = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

# ``cryptography`` (~10 ms to import) is loaded by the functions that use a key, so a workspace that does not
# sign never loads it.

__all__ = [
    "ALGORITHMS",
    "NewKey",
    "SigningKey",
    "generate",
    "key_path",
    "load_key",
    "public_txt",
    "signing_key",
]

ALGORITHMS = ("rsa", "ed25519")


@dataclass(frozen=True)
class SigningKey:
    """A checked key and where it is published. ``key`` never shows in a repr."""

    path: Path
    selector: str
    key: SigningKeyType

    def __repr__(self) -> str:
        return f"SigningKey(path={str(self.path)!r}, selector={self.selector!r})"

    @property
    def bits(self) -> int | None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        return self.key.key_size if isinstance(self.key, rsa.RSAPrivateKey) else None

    @property
    def txt(self) -> str:
        return public_txt(self.key)


def key_path(workspace: Workspace) -> Path | None:
    """``[sender] dkim_key_file`` as a path (relative to the workspace), or None when pressctl does not sign."""
    name = workspace.sender.dkim_key_file
    if not name:
        return None
    path = Path(name).expanduser()
    return path if path.is_absolute() else workspace.root / path


def load_key(path: Path, *, selector: str, where: str | None = None) -> SigningKey:
    """The private key at ``path``: a regular file of this user, 0600 (or stricter), PEM, RSA of 1024 bits or
    more or Ed25519. One ConfigError line for anything else (never the key's contents)."""
    hint_mode = f"run `chmod 600 {path}`"
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise ConfigError(
            f"the DKIM key file {path} does not exist", where=where,
            hint="make one with `pressctl dkim keygen --selector S`, or fix [sender] dkim_key_file",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the DKIM key file {path} ({exc.strerror})", where=where) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"the DKIM key file {path} is not a regular file", where=where, hint="point dkim_key_file at the key itself")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"the DKIM key file {path} can be read by others (mode {stat.S_IMODE(info.st_mode):04o}); a private key must be 0600",
            where=where, hint=hint_mode,
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigError(f"the DKIM key file {path} belongs to another user", where=where, hint="use a key file of your own")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the DKIM key file {path} ({exc.strerror})", where=where) from None
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ConfigError(
            f"the DKIM key file {path} is not an unencrypted PEM private key", where=where,
            hint="make one with `pressctl dkim keygen --selector S`",
        ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 1024:
            raise ConfigError(
                f"the DKIM key in {path} has {key.key_size} bits; receivers ignore RSA keys under 1024 bits",
                where=where, hint="make a 2048-bit key with `pressctl dkim keygen`",
            )
    elif not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ConfigError(f"the DKIM key in {path} is neither RSA nor Ed25519", where=where, hint="make one with `pressctl dkim keygen`")
    return SigningKey(path=path, selector=selector, key=key)


def signing_key(workspace: Workspace) -> SigningKey | None:
    """The workspace's signing key, checked, or None when ``[sender] dkim_key_file`` is not set."""
    path = key_path(workspace)
    if path is None:
        return None
    where = str(workspace.config_path) if workspace.config_path else None
    return load_key(path, selector=workspace.sender.dkim_selector, where=where)


def public_txt(key: SigningKeyType) -> str:
    """The TXT record to publish at ``<selector>._domainkey.<domain>``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    public = key.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode("ascii")
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode("ascii")


@dataclass(frozen=True)
class NewKey:
    """What ``pressctl dkim keygen`` made: where the key is, and what to publish and configure."""

    path: Path
    selector: str
    algorithm: str
    bits: int | None
    txt: str


def generate(workspace: Workspace, *, selector: str, algorithm: str = "rsa", bits: int = 2048, out: Path | None = None) -> NewKey:
    """A new private key written 0600 (never over an existing file): at ``out``, or in the workspace's
    private folder as ``.pressctl/dkim/<selector>.pem``."""
    if not check_selector(selector):
        raise InputError(f"--selector {selector!r} is not a DNS label", hint="use letters, digits and hyphens, e.g. --selector press2026")
    if algorithm not in ALGORITHMS:
        raise InputError(f"--algorithm {algorithm!r} is not known", hint="use rsa (the default) or ed25519")
    if algorithm == "rsa" and bits not in (1024, 2048, 3072, 4096):
        raise InputError(f"--bits {bits} is not offered", hint="use 2048 (advised), 1024, 3072 or 4096")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key: SigningKeyType = (
        ed25519.Ed25519PrivateKey.generate() if algorithm == "ed25519" else rsa.generate_private_key(public_exponent=65537, key_size=bits)
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    if out is None:
        folder = workspace.root / STATE_DIR_NAME / "dkim"
        private_dir(folder)
        path = folder / f"{selector}.pem"
    else:
        path = out if out.is_absolute() else workspace.root / out
        if not path.parent.is_dir():
            raise InputError(f"the folder {path.parent} does not exist", hint="create it, or choose another --out")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{path} exists already", hint="a key in use must not be overwritten: choose another --selector or --out") from None
    except OSError as exc:
        raise InputError(f"cannot write {path} ({exc.strerror})", hint="choose another --out") from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(pem)
    return NewKey(path=path, selector=selector, algorithm=algorithm, bits=bits if algorithm == "rsa" else None, txt=public_txt(key))
