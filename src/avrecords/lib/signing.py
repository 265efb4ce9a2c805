"""Digital signatures behind one small interface: Ed25519, and SM2 with SM3 (国密) (X1).

A `Signer` holds a private key and signs bytes; its `PublicKey` verifies them and names
itself by a fingerprint (SHA-256 of the raw public key, hex). The key file says which
algorithm it is, so anchors and bags signed with either kind verify through the same calls.

- `ed25519`: `cryptography`; PKCS#8 PEM private key, SubjectPublicKeyInfo PEM public key
  (what OpenSSL reads: `openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin …`).
- `sm2`: SM2 signature over SM3 with the default user id 1234567812345678 (GB/T 32918),
  through the pure-Python `gmssl`. Its keys are stored as hex between AVRecords' own armour
  lines (gmssl reads no PEM): the 32-byte private scalar, the 65-byte uncompressed point.
  The signature is r‖s, 64 bytes. gmssl draws the nonce from `random` unless given one, so
  every signature here passes a nonce from `secrets`; it is not constant-time, which is why
  a national-algorithm deployment that faces local attackers should sign on a certified
  cryptographic module instead (the interface is the place to plug one in).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from abc import ABC, abstractmethod
from pathlib import Path

ALGORITHMS = ("ed25519", "sm2")
SM2_PRIVATE_ARMOUR = "AVRECORDS SM2 PRIVATE KEY"
SM2_PUBLIC_ARMOUR = "AVRECORDS SM2 PUBLIC KEY"


class KeyProblem(ValueError):
    """A key file that is missing, unreadable or of an unknown kind; message in Chinese."""


class PublicKey(ABC):
    """The public half: verifies signatures, shown to people as PEM, hex and fingerprint."""

    algorithm: str

    @property
    @abstractmethod
    def raw(self) -> bytes: ...

    @abstractmethod
    def pem(self) -> str: ...

    @abstractmethod
    def verify(self, message: bytes, signature: bytes) -> bool: ...

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


class Signer(ABC):
    """The private half: signs bytes."""

    algorithm: str
    public: PublicKey

    @abstractmethod
    def sign(self, message: bytes) -> bytes: ...

    @abstractmethod
    def private_pem(self) -> str: ...


def grouped(fingerprint: str, width: int = 4) -> str:
    """'ab12cd34…' as 'AB12 CD34 …', for reading aloud and comparing with a printout."""
    upper = fingerprint.upper()
    return " ".join(upper[i : i + width] for i in range(0, len(upper), width))


# ---- Ed25519 ----------------------------------------------------------------------------


class Ed25519PublicKey(PublicKey):
    algorithm = "ed25519"

    def __init__(self, key) -> None:
        self._key = key

    @property
    def raw(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def verify(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Ed25519Signer(Signer):
    algorithm = "ed25519"

    def __init__(self, key=None) -> None:
        from cryptography.hazmat.primitives.asymmetric import ed25519

        self._key = key or ed25519.Ed25519PrivateKey.generate()
        self.public = Ed25519PublicKey(self._key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def private_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()


# ---- SM2 with SM3 -----------------------------------------------------------------------


def _sm2(private_hex: str = "", public_raw: bytes = b""):
    from gmssl import sm2

    # gmssl strips every leading "0"/"4" of a key starting with "04"; set the point directly.
    crypt = sm2.CryptSM2(private_key=private_hex, public_key="00" * 64)
    crypt.public_key = public_raw[1:].hex()
    return crypt


def _sm2_order() -> int:
    from gmssl import sm2

    return int(sm2.default_ecc_table["n"], 16)


class Sm2PublicKey(PublicKey):
    algorithm = "sm2"

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 65 or raw[0] != 4:
            raise KeyProblem("SM2 公钥格式不正确")
        self._raw = raw

    @property
    def raw(self) -> bytes:
        return self._raw

    def pem(self) -> str:
        return _armour(SM2_PUBLIC_ARMOUR, self._raw.hex())

    def verify(self, message: bytes, signature: bytes) -> bool:
        n = _sm2_order()
        if len(signature) != 64:
            return False
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (0 < r < n and 0 < s < n):
            return False
        try:
            return bool(_sm2(public_raw=self._raw).verify_with_sm3(signature.hex(), message))
        except (ValueError, TypeError, IndexError):  # a point not on the curve, bad hex
            return False


class Sm2Signer(Signer):
    algorithm = "sm2"

    def __init__(self, private: int | None = None) -> None:
        from gmssl import sm2

        n = _sm2_order()
        self._d = private if private is not None else secrets.randbelow(n - 2) + 1
        if not 0 < self._d < n - 1:
            raise KeyProblem("SM2 私钥超出取值范围")
        point = _sm2(f"{self._d:064x}")._kg(self._d, sm2.default_ecc_table["g"])
        self.public = Sm2PublicKey(b"\x04" + bytes.fromhex(point))

    def sign(self, message: bytes) -> bytes:
        n = _sm2_order()
        crypt = _sm2(f"{self._d:064x}", self.public.raw)
        while True:  # a nonce giving r = 0, r + k = n or s = 0 is drawn again
            nonce = secrets.randbelow(n - 1) + 1
            signature = crypt.sign_with_sm3(message, f"{nonce:064x}")
            if signature:
                return bytes.fromhex(signature)

    def private_pem(self) -> str:
        return _armour(SM2_PRIVATE_ARMOUR, f"{self._d:064x}")


def _armour(label: str, hex_text: str) -> str:
    return f"-----BEGIN {label}-----\n{hex_text}\n-----END {label}-----\n"


def _unarmour(text: str, label: str) -> bytes:
    begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
    body = text.split(begin, 1)[1].split(end, 1)[0]
    try:
        return bytes.fromhex("".join(body.split()))
    except ValueError as exc:
        raise KeyProblem("密钥文件内容不是十六进制") from exc


# ---- key files --------------------------------------------------------------------------


def new_signer(algorithm: str) -> Signer:
    if algorithm == "ed25519":
        return Ed25519Signer()
    if algorithm == "sm2":
        return Sm2Signer()
    raise KeyProblem(f"不支持的签名算法：{algorithm}")


def signer_from_pem(text: str) -> Signer:
    if f"-----BEGIN {SM2_PRIVATE_ARMOUR}-----" in text:
        return Sm2Signer(int.from_bytes(_unarmour(text, SM2_PRIVATE_ARMOUR), "big"))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyProblem("签名私钥文件无法读取（不是 PEM 格式或已加密）") from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyProblem("签名私钥不是 Ed25519 或 SM2 密钥")
    return Ed25519Signer(key)


def public_key_from_pem(text: str) -> PublicKey:
    if f"-----BEGIN {SM2_PUBLIC_ARMOUR}-----" in text:
        return Sm2PublicKey(_unarmour(text, SM2_PUBLIC_ARMOUR))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        key = serialization.load_pem_public_key(text.encode())
    except (ValueError, TypeError) as exc:
        raise KeyProblem("公钥文件无法读取（不是 PEM 格式）") from exc
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise KeyProblem("公钥不是 Ed25519 或 SM2 公钥")
    return Ed25519PublicKey(key)


def public_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def load_signer(path: Path) -> Signer:
    try:
        text = Path(path).read_text(encoding="ascii")
    except FileNotFoundError as exc:
        raise KeyProblem(f"签名私钥 {path} 不存在，请系统管理员运行 avrecords init 生成") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(f"签名私钥 {path} 无法读取") from exc
    return signer_from_pem(text)


def create_key(path: Path, algorithm: str) -> Signer:
    """A new private key at `path` (0600, its directory 0700) and its public key beside it
    (`<path>.pub`); an existing key is never replaced (FileExistsError)."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    signer = new_signer(algorithm)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(signer.private_pem())
        fh.flush()
        os.fsync(fh.fileno())
    public_path(path).write_text(signer.public.pem(), encoding="ascii")
    return signer
