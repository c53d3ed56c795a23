//! The rpm cataloger against real databases from other scanners' test data (see
//! shared/data/MANIFEST.md for origins and licences), plus damaged copies of them.
//!
//! Expected values were NOT produced by this code. They come from Debian 12's `rpm` 4.18
//! (`apt-get install rpm`) run on copies of the fixtures:
//!   rpm --dbpath DIR --define "_db_backend sqlite|bdb_ro" -qa \
//!       --queryformat '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH}\n'
//! Debian's rpm has no ndb backend, so for `sle15-bci/Packages.db` a ten-line Python script
//! copied each slot's blob (offset/length from the slot and blob header) into an empty
//! rpmdb.sqlite with rpm's schema and rpm queried that; likewise the claircore
//! `package.header` blob was inserted into an rpmdb.sqlite and queried with rpm.
//! (go-rpmdb's sle15-bci/packages.csv describes an older Packages.db than the one stored, so
//! it was not used.)

use analyzers::rpm::{self, RpmCataloger};
use artifact::Analyzer;
use inventory::{FileResult, Package, PackageDb};

fn shared() -> std::path::PathBuf {
    std::env::var_os("BULKHEAD_SHARED")
        .map(Into::into)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").into())
}

fn fixture(rel: &str) -> Vec<u8> {
    let p = shared().join("data/fixtures/pkgdb").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const MARINER: &str = "knqyf263+go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite";
const SLE15: &str = "knqyf263+go-rpmdb/pkg/testdata/sle15-bci/Packages.db";
const LIBUUID: &str = "knqyf263+go-rpmdb/pkg/testdata/libuuid/Packages";
const SYFT: &str = "anchore+syft/syft/pkg/cataloger/redhat/testdata/Packages";
const SYFT_COVERAGE: &str = "anchore+syft/cmd/syft/internal/test/integration/testdata/image-pkg-coverage/pkgs/var/lib/rpm/Packages";
const SYFT_GLOB: &str = "anchore+syft/syft/pkg/cataloger/redhat/testdata/glob-paths";
const SCALIBR_EPOCH: &str =
    "google+osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch";
const CLAIRCORE_HEADER: &str = "quay+claircore/internal/rpm/rpmdb/testdata/package.header";
const CLAIRCORE_NO_PACKAGES: &str =
    "quay+claircore/internal/rpm/sqlite/testdata/no_packages.sqlite";

fn analyze(path: &str, content: &[u8]) -> Result<Vec<Package>, String> {
    let mut results = RpmCataloger.analyze(path, content)?;
    assert_eq!(results.len(), 1);
    match results.remove(0) {
        FileResult::Packages { db, packages } => {
            assert_eq!(db, PackageDb::Rpm);
            Ok(packages)
        }
        other => panic!("unexpected result {other:?}"),
    }
}

/// `name evr arch`, the form of the rpm query above, sorted.
fn nevra(packages: &[Package]) -> Vec<String> {
    let mut v: Vec<String> = packages
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p.name,
                p.version,
                p.arch.as_deref().unwrap_or("")
            )
        })
        .collect();
    v.sort();
    v
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn find<'a>(packages: &'a [Package], name: &str) -> &'a Package {
    packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

/// Checks one package against rpm's SOURCERPM and LICENSE output.
fn check(p: &Package, version: &str, arch: &str, source: &str, license: &str) {
    assert_eq!(p.version, version, "{}", p.name);
    assert_eq!(p.arch.as_deref(), Some(arch), "{}", p.name);
    assert_eq!(p.source_name.as_deref(), Some(source), "{}", p.name);
    assert_eq!(p.licenses, vec![license.to_string()], "{}", p.name);
    assert_eq!(p.ecosystem, "rpm");
    assert_eq!(p.purl, "");
    assert_eq!(p.source_version, None);
}

#[test]
fn rpm_sqlite_cbl_mariner() {
    let path = "var/lib/rpm/rpmdb.sqlite";
    let got = analyze(path, &fixture(MARINER)).unwrap();
    assert_eq!(got.len(), 129);
    assert_eq!(nevra(&got), sorted(SQLITE_NEVRA));
    assert!(got.iter().all(|p| p.location == path && p.layer.is_none()));
    // rpm: ca-certificates-tools|1|2.0.0|1.cm2|noarch|ca-certificates-2.0.0-1.cm2.src.rpm|MPLv2.0
    check(
        find(&got, "ca-certificates-tools"),
        "1:2.0.0-1.cm2",
        "noarch",
        "ca-certificates",
        "MPLv2.0",
    );
    check(
        find(&got, "glibc"),
        "2.34-2.cm2",
        "x86_64",
        "glibc",
        "BSD AND GPLv2+ AND Inner-Net AND ISC AND LGPLv2+ AND MIT",
    );
    // rpm: openssl-libs|(none)|1.1.1k|7.cm2|x86_64|openssl-1.1.1k-7.cm2.src.rpm|OpenSSL
    check(
        find(&got, "openssl-libs"),
        "1.1.1k-7.cm2",
        "x86_64",
        "openssl",
        "OpenSSL",
    );
    check(find(&got, "curl"), "7.76.0-6.cm2", "x86_64", "curl", "MIT");
    assert_eq!(find(&got, "libgcc").source_name.as_deref(), Some("gcc"));
}

#[test]
fn rpm_ndb_sle15() {
    let got = analyze("usr/lib/sysimage/rpm/Packages.db", &fixture(SLE15)).unwrap();
    assert_eq!(got.len(), 35);
    assert_eq!(nevra(&got), sorted(NDB_NEVRA));
    check(
        find(&got, "glibc"),
        "2.31-9.3.2",
        "x86_64",
        "glibc",
        "LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0 AND GPL-2.0-or-later",
    );
    assert_eq!(
        find(&got, "libstdc++6").source_name.as_deref(),
        Some("gcc11")
    );
    assert_eq!(
        find(&got, "terminfo-base").source_name.as_deref(),
        Some("ncurses")
    );
    assert_eq!(
        find(&got, "libreadline7").source_name.as_deref(),
        Some("bash")
    );
}

#[test]
fn rpm_bdb_fixtures() {
    // rpm: libuuid|(none)|2.32.1|42.el8_8|x86_64|util-linux-2.32.1-42.el8_8.src.rpm|BSD
    let got = analyze("var/lib/rpm/Packages", &fixture(LIBUUID)).unwrap();
    assert_eq!(got.len(), 1);
    check(&got[0], "2.32.1-42.el8_8", "x86_64", "util-linux", "BSD");

    // rpm: dive|(none)|0.9.2|1|x86_64|dive-0.9.2-1.src.rpm|MIT
    for rel in [SYFT, SYFT_COVERAGE] {
        let got = analyze("var/lib/rpm/Packages", &fixture(rel)).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "dive");
        check(&got[0], "0.9.2-1", "x86_64", "dive", "MIT");
    }

    // rpm: hello|1|0.0.1|rls|x86_64|hello-0.0.1-rls.src.rpm|GPL
    let got = analyze("var/lib/rpm/Packages", &fixture(SCALIBR_EPOCH)).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].name, "hello");
    check(&got[0], "1:0.0.1-rls", "x86_64", "hello", "GPL");
}

#[test]
fn rpm_raw_header_claircore() {
    // rpm: crypto-policies|(none)|20210213|1.git5c710c0.fc34|noarch|
    //      crypto-policies-20210213-1.git5c710c0.fc34.src.rpm|LGPLv2+
    let p = rpm::package_from_header("x", &fixture(CLAIRCORE_HEADER))
        .unwrap()
        .unwrap();
    assert_eq!(p.name, "crypto-policies");
    check(
        &p,
        "20210213-1.git5c710c0.fc34",
        "noarch",
        "crypto-policies",
        "LGPLv2+",
    );
}

#[test]
fn rpm_placeholders_and_foreign_files_are_errors() {
    // syft's glob-paths files hold "bogus" or nothing; scalibr's `invalid` holds "asdf\n";
    // claircore's no_packages.sqlite is SQLite without a Packages table.
    for dir in ["var/lib/rpm", "usr/share/rpm", "usr/lib/sysimage/rpm"] {
        for file in ["Packages", "Packages.db", "rpmdb.sqlite"] {
            let path = format!("{dir}/{file}");
            assert!(RpmCataloger.wants(&path));
            let content = fixture(&format!("{SYFT_GLOB}/{path}"));
            assert!(analyze(&path, &content).is_err(), "{path}");
        }
    }
    let invalid = fixture("google+osv-scalibr/extractor/filesystem/os/rpm/testdata/invalid");
    assert!(analyze("var/lib/rpm/Packages", &invalid).is_err());
    let err = analyze("var/lib/rpm/rpmdb.sqlite", &fixture(CLAIRCORE_NO_PACKAGES)).unwrap_err();
    assert!(err.contains("no Packages table"), "{err}");
}

/// Damaged input: an error or plausible packages, never a panic or a hang.
fn damaged_is_sane(content: &[u8], limit: usize) {
    if let Ok(packages) = analyze("var/lib/rpm/Packages", content) {
        assert!(packages.len() <= limit);
        assert!(packages
            .iter()
            .all(|p| !p.name.is_empty() && !p.version.is_empty()));
    }
}

#[test]
fn rpm_truncated_fixtures() {
    for (rel, count) in [
        (LIBUUID, 1),
        (SYFT, 1),
        (SCALIBR_EPOCH, 1),
        (SLE15, 35),
        (MARINER, 129),
    ] {
        let data = fixture(rel);
        let n = data.len();
        for cut in [
            1,
            15,
            16,
            100,
            511,
            4096,
            4097,
            n / 3,
            n / 2,
            n - 4096,
            n - 17,
            n - 1,
        ] {
            let cut = cut.min(n - 1);
            let r = analyze("var/lib/rpm/Packages", &data[..cut]);
            // Every format here needs its last page, so losing it must be reported.
            assert!(
                r.is_err(),
                "{rel} cut at {cut} gave {:?}",
                r.map(|p| p.len())
            );
            damaged_is_sane(&data[..cut], count);
        }
    }
    let header = fixture(CLAIRCORE_HEADER);
    for cut in [0, 7, 8, 100, header.len() / 2, header.len() - 1] {
        assert!(
            rpm::package_from_header("x", &header[..cut]).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn rpm_flipped_bytes() {
    // Every `step`th byte of the first `dense` bytes (file headers, slots, first pages), then
    // about 150 more spread over the rest: the big files are slow to re-read in debug builds.
    for (rel, count, dense, step) in [
        (LIBUUID, 1, usize::MAX, 7),
        (SYFT, 1, usize::MAX, 3),
        (SCALIBR_EPOCH, 1, usize::MAX, 3),
        (SLE15, 35, 4096, 13),
        (MARINER, 129, 0, 1),
    ] {
        let data = fixture(rel);
        let n = data.len();
        let spread = (0..n).step_by(n / 150 + 1);
        let mut copy = data.clone();
        for at in (0..dense.min(n)).step_by(step).chain(spread) {
            for v in [0x00, 0xff, data[at] ^ 0x80] {
                copy[at] = v;
                damaged_is_sane(&copy, count);
            }
            copy[at] = data[at];
        }
    }
    let header = fixture(CLAIRCORE_HEADER);
    let mut copy = header.clone();
    for at in 0..header.len() {
        let orig = copy[at];
        copy[at] ^= 0xff;
        if let Ok(Some(p)) = rpm::package_from_header("x", &copy) {
            assert!(!p.name.is_empty() && !p.version.is_empty());
        }
        copy[at] = orig;
    }
}

#[test]
fn rpm_bdb_overflow_cycle_is_refused() {
    let mut data = fixture(LIBUUID);
    let page_size = u32::from_le_bytes(data[20..24].try_into().unwrap()) as usize;
    // The first overflow page (type 7) now holds no bytes and points at itself.
    let n = (1..data.len() / page_size)
        .find(|n| data[n * page_size + 25] == 7)
        .unwrap();
    let page = &mut data[n * page_size..];
    page[16..20].copy_from_slice(&(n as u32).to_le_bytes());
    page[22..24].copy_from_slice(&0u16.to_le_bytes());
    let err = analyze("var/lib/rpm/Packages", &data).unwrap_err();
    assert!(err.contains("loop"), "{err}");
}

#[test]
fn rpm_ndb_slot_pointing_outside_is_refused() {
    let mut data = fixture(SLE15);
    // First slot (offset 32): block offset field.
    data[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = analyze("var/lib/rpm/Packages.db", &data).unwrap_err();
    assert!(err.contains("outside"), "{err}");

    // Every free slot claims package 1's blocks: the checksums and copies would multiply.
    let mut data = fixture(SLE15);
    let first: [u8; 16] = data[32..48].try_into().unwrap();
    for slot in data[32..4096].chunks_exact_mut(16) {
        if slot[4..8] == [0; 4] {
            slot.copy_from_slice(&first);
        }
    }
    let err = analyze("var/lib/rpm/Packages.db", &data).unwrap_err();
    assert!(err.contains("overlap"), "{err}");
}

#[test]
fn rpm_sqlite_views_and_null_blobs_are_refused() {
    fn db(sql: &str) -> Vec<u8> {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(sql).unwrap();
        c.serialize(rusqlite::MAIN_DB).unwrap().to_vec()
    }
    // A view could make the query arbitrarily expensive.
    let view = db("CREATE VIEW Packages AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n) SELECT x AS hnum, x AS blob FROM n;");
    assert!(analyze("var/lib/rpm/rpmdb.sqlite", &view)
        .unwrap_err()
        .contains("no Packages table"));
    let null = db("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB); INSERT INTO Packages VALUES (1, NULL);");
    assert!(analyze("var/lib/rpm/rpmdb.sqlite", &null).is_err());
    let empty = db("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL);");
    assert_eq!(
        analyze("var/lib/rpm/rpmdb.sqlite", &empty).unwrap().len(),
        0
    );
}

const SQLITE_NEVRA: &[&str] = &[
    "mariner-release 2.0-4.cm2 noarch",
    "filesystem 1.1-8.cm2 x86_64",
    "glibc 2.34-2.cm2 x86_64",
    "zlib 1.2.11-5.cm2 x86_64",
    "openssl-libs 1.1.1k-7.cm2 x86_64",
    "xz-libs 5.2.5-1.cm2 x86_64",
    "bzip2-libs 1.0.8-1.cm2 x86_64",
    "zstd-libs 1.5.0-1.cm2 x86_64",
    "sqlite-libs 3.34.1-2.cm2 x86_64",
    "elfutils-libelf 0.185-1.cm2 x86_64",
    "popt 1.16-7.cm2 x86_64",
    "libgcc 11.2.0-1.cm2 x86_64",
    "openssl 1.1.1k-7.cm2 x86_64",
    "libcap 2.26-2.cm2 x86_64",
    "lua-libs 5.3.5-11.cm2 x86_64",
    "pcre-libs 8.44-3.cm2 x86_64",
    "expat-libs 2.4.3-1.cm2 x86_64",
    "libstdc++ 11.2.0-1.cm2 x86_64",
    "ncurses-libs 6.2-4.cm2 x86_64",
    "readline 8.1-1.cm2 x86_64",
    "libffi 3.4.2-1.cm2 x86_64",
    "gmp 6.2.1-2.cm2 x86_64",
    "e2fsprogs-libs 1.46.4-1.cm2 x86_64",
    "p11-kit 0.23.22-3.cm2 x86_64",
    "pcre 8.44-3.cm2 x86_64",
    "libselinux 3.2-1.cm2 x86_64",
    "coreutils 8.32-1.cm2 x86_64",
    "grep 3.7-1.cm2 x86_64",
    "bash 5.1.8-1.cm2 x86_64",
    "libsepol 3.2-2.cm2 x86_64",
    "libgpg-error 1.43-1.cm2 x86_64",
    "xz 5.2.5-1.cm2 x86_64",
    "libassuan 2.5.5-1.cm2 x86_64",
    "krb5 1.18-2.cm2 x86_64",
    "libgcrypt 1.9.4-1.cm2 x86_64",
    "cracklib 2.9.7-4.cm2 x86_64",
    "pam 1.5.1-2.cm2 x86_64",
    "nspr 4.21-2.cm2 x86_64",
    "mariner-rpm-macros 2.0-10.cm2 noarch",
    "rpm-libs 4.17.0-1.cm2 x86_64",
    "gzip 1.11-1.cm2 x86_64",
    "bzip2 1.0.8-1.cm2 x86_64",
    "slang 2.3.2-3.cm2 x86_64",
    "ncurses 6.2-4.cm2 x86_64",
    "expat 2.4.3-1.cm2 x86_64",
    "libssh2 1.9.0-1.cm2 x86_64",
    "curl-libs 7.76.0-6.cm2 x86_64",
    "curl 7.76.0-6.cm2 x86_64",
    "file-libs 5.40-1.cm2 x86_64",
    "libcap-ng 0.7.9-4.cm2 x86_64",
    "tar 1.34-1.cm2 x86_64",
    "lz4 1.9.2-2.cm2 x86_64",
    "newt 0.52.21-2.cm2 x86_64",
    "chkconfig 1.20-1.cm2 x86_64",
    "libsolv 0.7.19-2.cm2 x86_64",
    "nss-libs 3.44-10.cm2 x86_64",
    "pinentry 1.2.0-1.cm2 x86_64",
    "kmod 29-1.cm2 x86_64",
    "libksba 1.6.0-1.cm2 x86_64",
    "zstd 1.5.0-1.cm2 x86_64",
    "unzip 6.0-19.cm2 x86_64",
    "npth 1.6-4.cm2 x86_64",
    "gnupg2 2.3.3-1.cm2 x86_64",
    "gpgme 1.16.0-1.cm2 x86_64",
    "vim 8.2.4081-1.cm2 x86_64",
    "libtool 2.4.6-7.cm2 x86_64",
    "findutils 4.8.0-1.cm2 x86_64",
    "mpfr 4.1.0-1.cm2 x86_64",
    "gawk 5.1.0-1.cm2 x86_64",
    "gdbm 1.21-1.cm2 x86_64",
    "lua 5.3.5-11.cm2 x86_64",
    "libarchive 3.4.2-3.cm2 x86_64",
    "openldap 2.4.57-6.cm2 x86_64",
    "elfutils-libelf-devel 0.185-1.cm2 x86_64",
    "libgomp 11.2.0-1.cm2 x86_64",
    "cpio 2.13-3.cm2 x86_64",
    "libtasn1 4.14-3.cm2 x86_64",
    "p11-kit-trust 0.23.22-3.cm2 x86_64",
    "ca-certificates-tools 1:2.0.0-1.cm2 noarch",
    "json-c 0.14-3.cm2 x86_64",
    "libpkgconf 1.8.0-1.cm2 x86_64",
    "pkgconf 1.8.0-1.cm2 x86_64",
    "tdnf-cli-libs 2.1.0-8.cm2 x86_64",
    "tdnf 2.1.0-8.cm2 x86_64",
    "tdnf-plugin-repogpgcheck 2.1.0-8.cm2 x86_64",
    "sed 4.8-1.cm2 x86_64",
    "net-tools 1.60-16.cm2 x86_64",
    "ca-certificates-shared 1:2.0.0-1.cm2 noarch",
    "ca-certificates-base 1:2.0.0-1.cm2 noarch",
    "pkgconf-m4 1.8.0-1.cm2 noarch",
    "pkgconf-pkg-config 1.8.0-1.cm2 x86_64",
    "zstd-devel 1.5.0-1.cm2 x86_64",
    "popt-devel 1.16-7.cm2 x86_64",
    "zlib-devel 1.2.11-5.cm2 x86_64",
    "xz-devel 5.2.5-1.cm2 x86_64",
    "pcre-devel 8.44-3.cm2 x86_64",
    "libsepol-devel 3.2-2.cm2 x86_64",
    "libselinux-devel 3.2-1.cm2 x86_64",
    "util-linux 2.37.2-1.cm2 x86_64",
    "util-linux-devel 2.37.2-1.cm2 x86_64",
    "python3 3.9.9-3.cm2 x86_64",
    "python3-libs 3.9.9-3.cm2 x86_64",
    "glib 2.60.1-5.cm2 x86_64",
    "wget 1.20.3-4.cm2 x86_64",
    "e2fsprogs 1.46.4-1.cm2 x86_64",
    "systemd-rpm-macros 249.7-3.cm2 noarch",
    "elfutils-default-yama-scope 0.185-1.cm2 noarch",
    "cryptsetup-libs 2.3.3-3.cm2 x86_64",
    "device-mapper-libs 2.03.05-9.cm2 x86_64",
    "systemd 249.7-3.cm2 x86_64",
    "elfutils 0.185-1.cm2 x86_64",
    "elfutils-devel 0.185-1.cm2 x86_64",
    "rpm-build-libs 4.17.0-1.cm2 x86_64",
    "debugedit 5.0-1.cm2 x86_64",
    "rpm 4.17.0-1.cm2 x86_64",
    "rpm-devel 4.17.0-1.cm2 x86_64",
    "rpm-build 4.17.0-1.cm2 x86_64",
    "mariner-repos-shared 2.0-4.cm2 noarch",
    "mariner-repos-preview 2.0-4.cm2 noarch",
    "mariner-repos-microsoft-preview 2.0-4.cm2 noarch",
    "mariner-repos-extras-preview 2.0-4.cm2 noarch",
    "mariner-repos-extended-preview 2.0-4.cm2 noarch",
    "audit-libs 3.0.6-1.cm2 x86_64",
    "audit 3.0.6-1.cm2 x86_64",
    "libsemanage 3.2-1.cm2 x86_64",
    "shadow-utils 4.9-6.cm2 x86_64",
    "sudo 1.9.5p2-3.cm2 x86_64",
    "core-packages-container 2.0-1.cm2 x86_64",
    "sqlite 3.34.1-2.cm2 x86_64",
];
const NDB_NEVRA: &[&str] = &[
    "system-user-root 20190513-3.3.1 noarch",
    "filesystem 15.0-11.3.2 x86_64",
    "glibc 2.31-9.3.2 x86_64",
    "libpcre1 8.45-20.10.1 x86_64",
    "libgmp10 6.1.2-4.6.1 x86_64",
    "libgcc_s1 11.2.1+git610-1.3.9 x86_64",
    "libcap2 2.26-4.6.1 x86_64",
    "libstdc++6 11.2.1+git610-1.3.9 x86_64",
    "libncurses6 6.1-5.9.1 x86_64",
    "terminfo-base 6.1-5.9.1 x86_64",
    "libattr1 2.4.47-2.19 x86_64",
    "libselinux1 3.0-1.31 x86_64",
    "libreadline7 7.0-19.6.1 x86_64",
    "bash 4.4-19.6.1 x86_64",
    "libacl1 2.2.52-4.3.1 x86_64",
    "coreutils 8.32-3.2.1 x86_64",
    "sles-release 15.3-55.4.1 x86_64",
    "ca-certificates-mozilla-prebuilt 2.44-21.1 noarch",
    "libgpg-error0 1.29-1.8 x86_64",
    "libpopt0 1.16-3.22 x86_64",
    "file-magic 5.32-7.14.1 noarch",
    "libbz2-1 1.0.6-5.11.1 x86_64",
    "liblua5_3-5 5.3.6-3.6.1 x86_64",
    "liblzma5 5.2.3-4.3.1 x86_64",
    "libz1 1.2.11-3.21.1 x86_64",
    "libzstd1 1.4.4-1.6.1 x86_64",
    "libmagic1 5.32-7.14.1 x86_64",
    "libdw1 0.168-4.5.3 x86_64",
    "libebl-plugins 0.168-4.5.3 x86_64",
    "libelf1 0.168-4.5.3 x86_64",
    "libcrypt1 4.4.15-2.51 x86_64",
    "perl-base 5.26.1-15.87 x86_64",
    "libgcrypt20 1.8.2-8.39.1 x86_64",
    "rpm-config-SUSE 1-5.6.1 noarch",
    "rpm-ndb 4.14.3-40.1 x86_64",
];

/// The files each package installed (for setuid ownership), against real rpm's `-qal` on a
/// copy of the CBL-Mariner database.
#[test]
fn file_lists_agree_with_real_rpm() {
    let db = fixture(MARINER);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("rpm-file-lists");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("rpmdb.sqlite"), &db).unwrap();
    let out = std::process::Command::new("rpm")
        .arg("--dbpath")
        .arg(&dir)
        .args(["--define", "_db_backend sqlite", "-qal"])
        .output()
        .expect("rpm is missing: run `bash scripts/test.sh` (or .ci/setup-oracles.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut want: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('/'))
        .map(inventory::path_hash)
        .collect();
    want.sort_unstable();
    want.dedup();
    let mut got = rpm::owned_files(&db).unwrap();
    got.sort_unstable();
    got.dedup();
    assert!(want.len() > 1000, "rpm listed {} files", want.len());
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
}
