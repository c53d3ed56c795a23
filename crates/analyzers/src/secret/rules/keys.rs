//! Private keys (PEM, OpenSSH, PGP, PuTTY, age) and signed tokens.

use crate::secret::rule::{pem, raw, Spec};
use inventory::Severity::*;

pub const RULES: &[Spec] = &[
    pem("rsa-private-key", "RSA private key", &["begin rsa private key"], "RSA PRIVATE KEY"),
    pem("ec-private-key", "EC private key", &["begin ec private key"], "EC PRIVATE KEY"),
    pem("dsa-private-key", "DSA private key", &["begin dsa private key"], "DSA PRIVATE KEY"),
    pem("openssh-private-key", "OpenSSH private key", &["begin openssh private key"], "OPENSSH PRIVATE KEY"),
    pem("pkcs8-private-key", "PKCS#8 private key", &["begin private key"], "PRIVATE KEY"),
    pem("encrypted-private-key", "Encrypted PKCS#8 private key", &["begin encrypted private key"], "ENCRYPTED PRIVATE KEY").entropy(0.0),
    pem("pgp-private-key", "PGP private key block", &["begin pgp private key block"], "PGP PRIVATE KEY BLOCK"),
    pem("ssh2-private-key", "SSH2 (ssh.com) private key", &["begin ssh2 encrypted private key"], "SSH2 ENCRYPTED PRIVATE KEY"),
    raw("putty-private-key", "PuTTY private key", Critical, &["putty-user-key-file-"],
        r"PuTTY-User-Key-File-\d: [a-z0-9-]+\s+Encryption: none[\s\S]{0,300}?Private-Lines: \d+\s+(?P<secret>[A-Za-z0-9+/=\s]{40,})"),
    raw("age-secret-key", "age secret key", Critical, &["age-secret-key-1"],
        r"\b(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b"),
    raw("jwt", "JSON Web Token", Medium, &["eyj"],
        r"\b(?P<secret>eyJ[A-Za-z0-9_-]{15,}\.eyJ[A-Za-z0-9_-]{15,}\.[A-Za-z0-9_-]{10,}={0,2})(?:[^A-Za-z0-9_=.-]|$)").entropy(3.5),
    raw("kubeconfig-client-key", "Client key in a kubeconfig", Critical, &["client-key-data"],
        r"client-key-data:\s*(?P<secret>[A-Za-z0-9+/]{100,}={0,2})"),
    raw("onepassword-secret-key", "1Password account secret key", Critical, &["a3-"],
        r"\b(?P<secret>A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b"),
    raw("onepassword-service-account-token", "1Password service account token", Critical, &["ops_eyj"],
        r"\b(?P<secret>ops_eyJ[a-zA-Z0-9+/]{250,}={0,3})"),
    raw("django-secret-key", "Django SECRET_KEY", High, &["django-insecure-"],
        r"(?P<secret>django-insecure-[^'\x22\s]{30,})").entropy(3.5),
    raw("rails-secret-key-base", "Rails secret_key_base", High, &["secret_key_base"],
        r#"(?i)secret_key_base["']?\s*[=:]\s*["']?(?P<secret>[a-f0-9]{64,})"#),
    raw("ssh-password-sshpass", "Password passed to sshpass", High, &["sshpass"],
        r"sshpass\s+-p\s*['\x22]?(?P<secret>[^\s'\x22$]{6,})").entropy(2.5),
];
