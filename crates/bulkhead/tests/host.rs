//! `bulkhead host` on a root built from Debian's real runc, containerd and docker.io packages
//! (downloaded by .ci/setup-host.sh, unpacked with dpkg-deb, recorded in the root's dpkg
//! database as dpkg would), configured through a systemd drop-in, daemon.json, a flag-only
//! kubelet unit and Docker container state files written with moby's field names. Expected
//! values come from the packages' own control data and the components' documented defaults.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn debs() -> Vec<PathBuf> {
    let dir = std::env::var_os("BULKHEAD_HOST_DEBS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/bulkhead-ci/host-debs"));
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    debs.retain(|p| p.extension().is_some_and(|e| e == "deb"));
    debs.sort();
    assert_eq!(
        debs.len(),
        3,
        "run .ci/setup-host.sh (downloads runc, containerd and docker.io to {})",
        dir.display()
    );
    debs
}

fn dpkg_deb(args: &[&str]) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .output()
        .expect("dpkg-deb");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Unpacks each package into `root` and records it as installed: its control fields in
/// `var/lib/dpkg/status`, its files in `var/lib/dpkg/info/<package>.list`. Returns
/// package → version.
fn install(root: &Path, debs: &[PathBuf]) -> Vec<(String, String)> {
    let info = root.join("var/lib/dpkg/info");
    std::fs::create_dir_all(&info).unwrap();
    let mut status = String::new();
    let mut installed = Vec::new();
    for deb in debs {
        let deb = deb.to_str().unwrap();
        dpkg_deb(&["-x", deb, root.to_str().unwrap()]);
        let control = dpkg_deb(&["-f", deb]);
        let name = dpkg_deb(&["-f", deb, "Package"]).trim().to_string();
        let version = dpkg_deb(&["-f", deb, "Version"]).trim().to_string();
        let mut stanza = String::new();
        for line in control.lines() {
            stanza.push_str(line);
            stanza.push('\n');
            if line.starts_with("Package:") {
                stanza.push_str("Status: install ok installed\n");
            }
        }
        status.push_str(&stanza);
        status.push('\n');
        // `dpkg-deb -c` lists `./usr/sbin/runc`; a .list file holds `/usr/sbin/runc`.
        let list: String = dpkg_deb(&["-c", deb])
            .lines()
            .filter_map(|l| l.split_whitespace().nth(5))
            .map(|p| p.trim_start_matches('.').trim_end_matches('/'))
            .filter(|p| !p.is_empty())
            .map(|p| format!("{p}\n"))
            .collect();
        std::fs::write(info.join(format!("{name}.list")), list).unwrap();
        installed.push((name, version));
    }
    std::fs::write(root.join("var/lib/dpkg/status"), status).unwrap();
    installed
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn chmod(root: &Path, path: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let path = root.join(path.trim_start_matches('/'));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

const DROPIN: &str = "/etc/systemd/system/docker.service.d/override.conf";

/// A Debian 12 node: the packages, a drop-in opening the API on TCP, a world-writable
/// daemon.json, a flag-only kubelet and a privileged container mounting docker.sock.
fn node(dir: &Path, container: &str) -> (PathBuf, Vec<(String, String)>) {
    let root = dir.join("root");
    let installed = install(&root, &debs());
    write(
        &root,
        "/etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    );
    write(
        &root,
        DROPIN,
        "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:2375 --containerd=/run/containerd/containerd.sock\n",
    );
    write(
        &root,
        "/etc/docker/daemon.json",
        "{\n  \"icc\": false,\n  \"live-restore\": true\n}\n",
    );
    chmod(&root, "/etc/docker/daemon.json", 0o606);
    write(
        &root,
        "/lib/systemd/system/kubelet.service",
        "[Service]\nExecStart=/usr/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf\n",
    );
    write(
        &root,
        "/var/lib/docker/containers/0123456789ab/config.v2.json",
        r#"{"ID":"0123456789abcdef","Name":"/builder","State":{"Running":true},"Config":{"Image":"docker:27-cli","User":""},"MountPoints":{"/var/run/docker.sock":{"Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","RW":true}}}"#,
    );
    write(
        &root,
        "/var/lib/docker/containers/0123456789ab/hostconfig.json",
        container,
    );
    (root, installed)
}

fn host(root: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let args = [
        &["host", "--format", "json", "--root", root.to_str().unwrap()],
        extra,
    ]
    .concat();
    // One import for the tests of this file, which run at once.
    static CACHE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let feeds = ["Debian-DSA-DLA.jsonl.zst", "Go.jsonl.zst"];
    let cache = CACHE.get_or_init(|| imported_cache("host", &feeds));
    let out = bulkhead(&args, cache);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON report: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), report)
}

fn finding<'a>(report: &'a Value, rule: &str) -> Option<&'a Value> {
    report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
}

#[test]
fn a_debian_node_with_its_runtime_packages_settings_and_containers() {
    let dir = tempfile::tempdir().unwrap();
    let privileged = r#"{"Privileged":true,"Binds":["/var/run/docker.sock:/var/run/docker.sock"],"NetworkMode":"bridge","PidMode":"","CapAdd":null,"CapDrop":null,"SecurityOpt":null}"#;
    let (root, installed) = node(dir.path(), privileged);
    let (code, report) = host(&root, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["host"]["os"]["family"], "debian");

    // Components come from the dpkg database, with the package's own version.
    let components = report["components"].as_array().unwrap();
    for (component, package) in [
        ("runc", "runc"),
        ("containerd", "containerd"),
        ("dockerd", "docker.io"),
    ] {
        let version = &installed.iter().find(|(n, _)| n == package).unwrap().1;
        let c = components
            .iter()
            .find(|c| c["name"] == component)
            .unwrap_or_else(|| panic!("{component} in {components:?}"));
        assert_eq!(c["source"], "dpkg");
        assert_eq!(c["package"], package);
        assert_eq!(c["version"], version.as_str());
    }
    let runc = components.iter().find(|c| c["name"] == "runc").unwrap();
    assert!(
        runc["path"].as_str().unwrap().ends_with("bin/runc"),
        "{runc}"
    );
    // Package-owned Go binaries are matched through Debian's advisories only.
    for v in report["vulnerabilities"].as_array().unwrap() {
        assert_ne!(v["ecosystem"], "go", "{v}");
        assert!(v["component"].is_string());
    }

    // The drop-in that opens the API on TCP, with its file and line.
    let api = finding(&report, "BH-HOST-001").expect("BH-HOST-001");
    assert_eq!(api["severity"], "CRITICAL");
    assert_eq!(api["file"], DROPIN);
    assert_eq!(api["line"], 3);
    assert_eq!(api["value"], "tcp://0.0.0.0:2375");
    assert_eq!(api["source"], "flag");
    // daemon.json sets icc and live-restore: those checks pass; the defaults fail the rest.
    assert!(finding(&report, "BH-HOST-002").is_none());
    assert!(finding(&report, "BH-HOST-005").is_none());
    let userns = finding(&report, "BH-HOST-003").unwrap();
    assert_eq!(userns["source"], "default");
    // 0606 sets the world-write bit: it fails "0644 or stricter" (606 < 644 as numbers).
    let mode = report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "BH-HOST-023" && f["file"] == "/etc/docker/daemon.json")
        .expect("daemon.json mode");
    assert!(
        mode["value"].as_str().unwrap().starts_with("0606"),
        "{mode}"
    );

    // A flag-only kubelet gets the legacy defaults, pointed at its unit file.
    let unit = "/lib/systemd/system/kubelet.service";
    for (rule, setting, value) in [
        ("BH-HOST-040", "anonymous-auth", "true"),
        ("BH-HOST-041", "authorization-mode", "AlwaysAllow"),
        ("BH-HOST-043", "read-only-port", "10255"),
    ] {
        let f = finding(&report, rule).unwrap_or_else(|| panic!("{rule}"));
        assert_eq!(f["setting"], setting);
        assert_eq!(f["value"], value);
        assert_eq!(f["source"], "default");
        assert_eq!(f["file"], unit);
    }

    // The container and the escape paths its settings open.
    let container = &report["containers"][0];
    assert_eq!(container["name"], "builder");
    assert_eq!(container["privileged"], true);
    let paths: Vec<&str> = report["escape_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"privileged") && paths.contains(&"runtime-socket"),
        "{paths:?}"
    );

    // --severity and --exit-code.
    let (code, report) = host(&root, &["--severity", "CRITICAL", "--exit-code", "3"]);
    assert_eq!(code, Some(3));
    assert!(report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "CRITICAL"));
}

#[test]
fn an_unprivileged_container_without_the_socket_opens_no_path() {
    let dir = tempfile::tempdir().unwrap();
    let plain = r#"{"Privileged":false,"Binds":null,"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"]}"#;
    let (root, _) = node(dir.path(), plain);
    // The mount point in config.v2.json is the only socket: remove it.
    write(
        &root,
        "/var/lib/docker/containers/0123456789ab/config.v2.json",
        r#"{"ID":"0123456789abcdef","Name":"/web","State":{"Running":false},"Config":{"Image":"nginx:1.27","User":"101"}}"#,
    );
    let (_, report) = host(&root, &[]);
    assert_eq!(report["containers"][0]["capabilities"]["drop"][0], "ALL");
    assert_eq!(report["containers"][0]["no_new_privileges"], true);
    assert!(
        report["escape_paths"].as_array().unwrap().is_empty(),
        "{}",
        report["escape_paths"]
    );
}

/// A Debian 11 node booted with cgroup v1 whose kernel package predates the fix of
/// CVE-2022-0492 (DSA-5095-1: fixed in 5.10.103-1), with one container.
fn kernel_node(dir: &Path, caps: &str) -> PathBuf {
    let root = dir.join("root");
    write(&root, "/etc/os-release", "ID=debian\nVERSION_ID=\"11\"\n");
    write(
        &root,
        "/var/lib/dpkg/status",
        "Package: linux-image-5.10.0-8-amd64\nStatus: install ok installed\nSource: linux\nVersion: 5.10.46-4\nArchitecture: amd64\n\n",
    );
    write(
        &root,
        "/etc/default/grub",
        "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"systemd.unified_cgroup_hierarchy=0\"\n",
    );
    write(
        &root,
        "/var/lib/docker/containers/abc/config.v2.json",
        r#"{"ID":"abcdef","Name":"/agent","Config":{"Image":"agent:1","User":"1000"}}"#,
    );
    let host = format!(r#"{{"CapAdd":{caps},"SecurityOpt":["apparmor=unconfined"]}}"#);
    write(
        &root,
        "/var/lib/docker/containers/abc/hostconfig.json",
        &host,
    );
    root
}

#[test]
fn a_vulnerable_kernel_on_cgroup_v1_and_cap_sys_admin_is_an_escape_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = kernel_node(dir.path(), r#"["SYS_ADMIN"]"#);
    let (_, report) = host(&root, &[]);
    assert_eq!(report["host"]["kernel"]["release"], "5.10.0-8-amd64");
    assert_eq!(report["host"]["cgroup"]["value"], "v1");
    assert!(report["host"]["cgroup"]["evidence"]
        .as_str()
        .unwrap()
        .starts_with("/etc/default/grub:2"));
    let kernel_vulns: Vec<&Value> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["component"] == "kernel")
        .collect();
    assert!(
        kernel_vulns.iter().any(|v| v["id"] == "DSA-5095-1"),
        "{kernel_vulns:?}"
    );
    let path = report["escape_paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "CVE-2022-0492")
        .unwrap_or_else(|| panic!("{}", report["escape_paths"]));
    assert_eq!(path["container"], "agent");
    assert_eq!(path["severity"], "CRITICAL");
    let kinds: Vec<&str> = path["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "kernel-vulnerability",
            "host-setting",
            "container-setting",
            "container-setting"
        ]
    );

    // The same kernel has CVE-2022-0185 (DSA-5050-1: fixed in 5.10.92-1): with CAP_SYS_ADMIN
    // the container can create a user namespace, which the host does not forbid.
    let fsconfig = report["escape_paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "CVE-2022-0185")
        .unwrap_or_else(|| panic!("{}", report["escape_paths"]));
    assert_eq!(fsconfig["conditions"][1]["kind"], "host-setting");
    assert_eq!(report["host"]["unprivileged_userns"]["value"], "allowed");
    // Blocking unprivileged user namespaces breaks that path, not the release_agent one.
    write(
        &root,
        "/etc/sysctl.d/99-userns.conf",
        "kernel.unprivileged_userns_clone = 0\n",
    );
    let (_, report) = host(&root, &[]);
    let ids: Vec<&str> = report["escape_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["CVE-2022-0492"]);
    let userns = &report["host"]["unprivileged_userns"];
    assert_eq!(userns["value"], "blocked");
    assert_eq!(
        userns["evidence"],
        "kernel.unprivileged_userns_clone = 0 in /etc/sysctl.d/99-userns.conf:1"
    );

    // Without the capability the path is gone.
    let dir = tempfile::tempdir().unwrap();
    let root = kernel_node(dir.path(), "null");
    let (_, report) = host(&root, &[]);
    assert!(
        report["escape_paths"].as_array().unwrap().is_empty(),
        "{}",
        report["escape_paths"]
    );
}

#[test]
fn an_unpackaged_runc_is_matched_through_go_and_a_vendoring_binary_is_not_containerd() {
    let dir = tempfile::tempdir().unwrap();
    let plain = r#"{"Privileged":false}"#;
    let (root, installed) = node(dir.path(), plain);
    let bin = root.join("usr/local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    // The Debian runc binary, copied where no package owns it.
    std::fs::copy(root.join("usr/sbin/runc"), bin.join("runc")).unwrap();
    // dockerd vendors containerd as a library: named containerd, it is still not containerd.
    std::fs::copy(root.join("usr/sbin/dockerd"), bin.join("containerd")).unwrap();
    let (_, report) = host(&root, &[]);
    let debian = &installed.iter().find(|(n, _)| n == "runc").unwrap().1;
    // The package version without the Debian revision: what the binary embeds.
    let upstream = debian.rsplit_once('-').unwrap().0;
    let components = report["components"].as_array().unwrap();
    let copy = components
        .iter()
        .find(|c| c["path"] == "/usr/local/bin/runc")
        .unwrap_or_else(|| panic!("{components:?}"));
    assert_eq!(copy["name"], "runc");
    assert_eq!(copy["source"], "strings");
    assert_eq!(copy["version"], upstream);
    assert!(copy["package"].is_null());
    let vulns = report["vulnerabilities"].as_array().unwrap();
    let go_runc: Vec<&Value> = vulns
        .iter()
        .filter(|v| v["component"] == "runc" && v["ecosystem"] == "go")
        .collect();
    // Leaky Vessels (fixed upstream in 1.1.12) through the Go record of runc.
    assert!(
        go_runc
            .iter()
            .any(|v| v.to_string().contains("CVE-2024-21626")),
        "{go_runc:?}"
    );
    assert!(!components
        .iter()
        .any(|c| c["path"] == "/usr/local/bin/containerd"));

    // A rootfs scan of the same tree holds the same rule: Go findings only for the binaries
    // no package owns; the Debian-built ones are listed in the inventory all the same.
    static CACHE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let feeds = ["Debian-DSA-DLA.jsonl.zst", "Go.jsonl.zst"];
    let cache = CACHE.get_or_init(|| imported_cache("rootfs-owned", &feeds));
    let args = [
        "rootfs",
        root.to_str().unwrap(),
        "--scanners",
        "vuln",
        "--format",
        "json",
    ];
    let scan = ok_json(bulkhead(&args, cache));
    let go: Vec<&Value> = scan["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["ecosystem"] == "go")
        .collect();
    assert!(!go.is_empty());
    for v in &go {
        let at = v["location"].as_str().unwrap_or_default();
        assert!(at.starts_with("usr/local/bin/"), "{v}");
    }
    let packages = scan["packages"].as_array().unwrap();
    assert!(packages
        .iter()
        .any(|p| p["location"] == "usr/sbin/runc" && p["ecosystem"] == "go"));
    let note = scan["warnings"].to_string();
    assert!(note.contains("installed by OS packages"), "{note}");
    assert!(!vulns.iter().any(|v| v["package"]
        .as_str()
        .is_some_and(|p| p.starts_with("github.com/containerd"))));
}

#[test]
fn an_oci_bundle_made_by_runc_spec_is_read_as_a_container() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = node(dir.path(), r#"{"Privileged":false}"#);
    let bundle = root.join("run/containerd/io.containerd.runtime.v2.task/k8s.io/4f1c2a");
    std::fs::create_dir_all(&bundle).unwrap();
    // The real default spec, from the runc of the Debian package just unpacked.
    let out = Command::new(root.join("usr/sbin/runc"))
        .args(["spec", "--bundle"])
        .arg(&bundle)
        .output()
        .expect("runc spec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = bundle.join("config.json");
    let mut spec: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    // As a CRI pod sandbox sharing the host network, with CAP_SYS_ADMIN added.
    spec["linux"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .retain(|n| n["type"] != "network");
    spec["process"]["capabilities"]["bounding"]
        .as_array_mut()
        .unwrap()
        .push("CAP_SYS_ADMIN".into());
    spec["annotations"] = serde_json::json!({
        "io.kubernetes.cri.container-name": "sidecar",
        "io.kubernetes.cri.image-name": "registry.example/sidecar:2",
    });
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
    let (_, report) = host(&root, &[]);
    let c = report["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sidecar")
        .unwrap_or_else(|| panic!("{}", report["containers"]));
    assert_eq!(c["image"], "registry.example/sidecar:2");
    assert_eq!(c["user"], "0");
    assert_eq!(c["namespaces"]["network"], "host");
    assert_eq!(c["namespaces"]["pid"], "private");
    assert!(c["capabilities"]["add"]
        .as_array()
        .unwrap()
        .contains(&"SYS_ADMIN".into()));
    // runc's default spec has no seccomp filter and no AppArmor profile.
    assert_eq!(c["seccomp"], "unconfined");
    assert_eq!(c["apparmor"], "unconfined");
    assert_eq!(c["privileged"], false);

    // The same spec in podman's store, named by containers.json as containers/storage writes it.
    let store = root.join("var/lib/containers/storage/overlay-containers");
    std::fs::create_dir_all(store.join("9d2e/userdata")).unwrap();
    spec["annotations"] = serde_json::json!({"io.container.manager": "libpod"});
    let spec = serde_json::to_vec(&spec).unwrap();
    std::fs::write(store.join("9d2e/userdata/config.json"), spec).unwrap();
    let names = r#"[{"id":"9d2e","names":["web"],"image":"5f7d","layer":"a1","metadata":"","created":"2026-12-01T10:00:00Z"}]"#;
    std::fs::write(store.join("containers.json"), names).unwrap();
    let (_, report) = host(&root, &[]);
    let podman = report["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "9d2e")
        .unwrap_or_else(|| panic!("{}", report["containers"]));
    assert_eq!(podman["name"], "web");
    assert_eq!(podman["namespaces"]["network"], "host");
}

#[test]
fn the_host_report_as_sarif_is_valid_and_points_at_the_drop_in() {
    let dir = tempfile::tempdir().unwrap();
    let privileged = r#"{"Privileged":true}"#;
    let (root, _) = node(dir.path(), privileged);
    let sarif = dir.path().join("host.sarif");
    let args = [
        "host",
        "--format",
        "sarif",
        "-o",
        sarif.to_str().unwrap(),
        "--root",
    ];
    let out = bulkhead(&[&args[..], &[root.to_str().unwrap()]].concat(), dir.path());
    let code = out.status.code();
    assert_eq!(code, Some(0));
    common::sarif::validate_sarif(&sarif);
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let api = results
        .iter()
        .find(|r| r["ruleId"] == "BH-HOST-001")
        .unwrap();
    let location = &api["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        format!("file://{DROPIN}")
    );
    assert_eq!(location["region"]["startLine"], 3);
    assert!(results.iter().any(|r| r["ruleId"] == "escape/privileged"));
    // Without an advisory database the checks still run, and the gap is said.
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(notes.contains("db update"), "{notes}");
}

#[test]
fn an_ignore_file_hides_checks_and_escape_paths_and_says_which_line() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = node(dir.path(), r#"{"Privileged":true}"#);
    let ignore = dir.path().join("host.ignore");
    std::fs::write(&ignore, "# reviewed\nBH-HOST-001\nprivileged\n").unwrap();
    let (_, report) = host(&root, &["--ignorefile", ignore.to_str().unwrap()]);
    assert!(finding(&report, "BH-HOST-001").is_none());
    assert!(finding(&report, "BH-HOST-003").is_some());
    let paths: Vec<&str> = report["escape_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(!paths.contains(&"privileged"), "{paths:?}");
    let suppressed = report["suppressed"].as_array().unwrap();
    assert_eq!(suppressed.len(), 2, "{suppressed:?}");
    assert!(suppressed[0]["by"]
        .as_str()
        .unwrap()
        .ends_with("host.ignore:2"));
}

#[test]
fn a_manifest_checked_against_a_host_report_shows_the_path_before_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let root = kernel_node(dir.path(), "null");
    let host_json = dir.path().join("node.json");
    let (_, report) = host(&root, &[]);
    std::fs::write(&host_json, report.to_string()).unwrap();
    let deploy = dir.path().join("deploy");
    std::fs::create_dir_all(&deploy).unwrap();
    let manifest = |caps: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent\nspec:\n  selector: {{matchLabels: {{app: agent}}}}\n  template:\n    metadata:\n      labels: {{app: agent}}\n    spec:\n      containers:\n      - name: agent\n        image: agent:1@sha256:{}\n        securityContext:\n          appArmorProfile: {{type: Unconfined}}\n          seccompProfile: {{type: RuntimeDefault}}\n          capabilities: {{add: [{caps}]}}\n",
            "a".repeat(64)
        )
    };
    std::fs::write(deploy.join("agent.yaml"), manifest("SYS_ADMIN")).unwrap();
    let config = |dir: &Path| {
        ok_json(bulkhead(
            &[
                "config",
                "--format",
                "json",
                "--host",
                host_json.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
            dir,
        ))
    };
    let report = config(&deploy);
    let path = report["escape_paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "CVE-2022-0492")
        .unwrap_or_else(|| panic!("{}", report["escape_paths"]));
    assert_eq!(path["container"], "Deployment/agent");
    let evidence = path["conditions"].to_string();
    assert!(
        evidence.contains("DSA-5095-1") && evidence.contains("BH-K8S-014"),
        "{evidence}"
    );
    assert!(evidence.contains("cgroup v1"), "{evidence}");
    // The same workload without the capability opens no path.
    std::fs::write(deploy.join("agent.yaml"), manifest("NET_BIND_SERVICE")).unwrap();
    let report = config(&deploy);
    assert!(
        report["escape_paths"].is_null(),
        "{}",
        report["escape_paths"]
    );
}

/// Imports one OSV record into a fresh cache and audits `root` with it.
fn host_with_record(root: &Path, record: Value) -> Value {
    let file = root.parent().unwrap().join("record.json");
    std::fs::write(&file, record.to_string()).unwrap();
    let cache = root.parent().unwrap().join("cache");
    let out = bulkhead(&["db", "import", file.to_str().unwrap()], &cache);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = ["host", "--format", "json", "--root", root.to_str().unwrap()];
    ok_json(bulkhead(&args, &cache))
}

#[test]
fn a_fix_named_in_the_debian_changelog_outweighs_older_advisory_data() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = node(dir.path(), r#"{"Privileged":false}"#);
    // The tracker's record before DSA-5615-1: runc in bookworm affected, no fix yet.
    let record = serde_json::json!({
        "id": "DEBIAN-CVE-2024-21626", "modified": "2024-01-31T00:00:00Z",
        "aliases": ["CVE-2024-21626"], "summary": "runc: leaked file descriptors",
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "runc"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
    });
    let report = host_with_record(&root, record);
    // Debian's runc 1.1.5+ds1-1+deb12u1 changelog: line 4 names CVE-2024-21626.
    let runc = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "runc")
        .unwrap();
    let evidence = "/usr/share/doc/runc/changelog.Debian.gz:4";
    assert!(
        runc["backported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["cve"] == "CVE-2024-21626" && b["evidence"] == evidence),
        "{runc}"
    );
    assert!(
        report["vulnerabilities"].as_array().unwrap().is_empty(),
        "{}",
        report["vulnerabilities"]
    );
    let hidden = &report["suppressed"][0];
    assert_eq!(hidden["id"], "DEBIAN-CVE-2024-21626");
    assert_eq!(hidden["by"], evidence);
    assert_eq!(hidden["status"], "fixed");
}

#[test]
fn an_installed_kernel_that_fixes_the_current_one_means_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let root = kernel_node(dir.path(), "null");
    // A second, fixed kernel (DSA-5095-1 fixes CVE-2022-0492 in linux 5.10.103-1), listed
    // first: the audited kernel stays 5.10.0-8, the last in the status file.
    let status = std::fs::read_to_string(root.join("var/lib/dpkg/status")).unwrap();
    let fixed = "Package: linux-image-5.10.0-12-amd64\nStatus: install ok installed\nSource: linux\nVersion: 5.10.103-1\nArchitecture: amd64\n\n";
    write(&root, "/var/lib/dpkg/status", &format!("{fixed}{status}"));
    let (_, report) = host(&root, &[]);
    let kernel = &report["host"]["kernel"];
    assert_eq!(kernel["release"], "5.10.0-8-amd64");
    let reboot = &kernel["reboot_required"];
    assert_eq!(reboot["release"], "5.10.0-12-amd64", "{kernel}");
    let fixes: Vec<&str> = reboot["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(fixes.contains(&"DSA-5095-1"), "{fixes:?}");
}

#[test]
fn cri_o_podman_rootless_docker_and_unowned_setuid_files() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = node(dir.path(), r#"{"Privileged":false}"#);
    // CRI-O: a drop-in adds SYS_ADMIN and a kernel sysctl to every pod.
    write(&root, "/usr/bin/crio", "");
    write(
        &root,
        "/etc/crio/crio.conf.d/20-workloads.conf",
        "[crio.runtime]\ndefault_capabilities = [\"CHOWN\", \"SYS_ADMIN\"]\ndefault_sysctls = [\"kernel.core_pattern=|/bin/sh\"]\n",
    );
    // podman: host network for every container, an insecure registry, the API on TCP.
    write(&root, "/usr/bin/podman", "");
    write(
        &root,
        "/etc/containers/containers.conf",
        "[containers]\nnetns = \"host\"\nseccomp_profile = \"unconfined\"\n",
    );
    write(
        &root,
        "/etc/containers/registries.conf",
        "[[registry]]\nlocation = \"registry.lan:5000\"\ninsecure = true\n",
    );
    write(
        &root,
        "/etc/systemd/system/podman.service",
        "[Service]\nExecStart=/usr/bin/podman system service --time=0 tcp:0.0.0.0:8888\n",
    );
    // A rootless dockerd whose daemon.json opens the API on TCP.
    write(
        &root,
        "/home/dev/.config/docker/daemon.json",
        "{\n  \"hosts\": [\"tcp://0.0.0.0:2376\"]\n}\n",
    );
    // A setuid copy of a packaged binary where no package put it.
    std::fs::create_dir_all(root.join("usr/local/bin")).unwrap();
    let helper = root.join("usr/local/bin/helper");
    std::fs::copy(root.join("usr/sbin/runc"), helper).unwrap();
    chmod(&root, "/usr/local/bin/helper", 0o4755);
    chmod(&root, "/usr/sbin/runc", 0o4755);
    // A container of a daemon that ran with userns-remap, in its remapped state directory.
    let remapped = "/var/lib/docker/100000.100000/containers/77aa";
    write(
        &root,
        &format!("{remapped}/config.v2.json"),
        r#"{"ID":"77aa","Name":"/batch","Config":{"Image":"batch:3","User":""}}"#,
    );
    write(&root, &format!("{remapped}/hostconfig.json"), "{}");
    let (_, report) = host(&root, &[]);
    let batch = report["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "batch")
        .unwrap_or_else(|| panic!("{}", report["containers"]));
    assert_eq!(batch["namespaces"]["user"], "remapped");
    let all = |rule: &str| -> Vec<Value> {
        report["misconfigurations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .cloned()
            .collect()
    };
    let caps = &all("BH-HOST-100");
    assert_eq!(caps.len(), 1, "{caps:?}");
    assert_eq!(caps[0]["file"], "/etc/crio/crio.conf.d/20-workloads.conf");
    assert_eq!(caps[0]["line"], 2);
    assert!(caps[0]["message"].as_str().unwrap().contains("SYS_ADMIN"));
    let sysctl = finding(&report, "BH-HOST-107").expect("kernel sysctl");
    assert_eq!(sysctl["line"], 3);
    let seccomp = finding(&report, "BH-HOST-101").expect("unconfined seccomp");
    assert_eq!(seccomp["file"], "/etc/containers/containers.conf");
    assert_eq!(seccomp["line"], 3);
    let netns = finding(&report, "BH-HOST-103").expect("host netns");
    assert_eq!(netns["value"], "host");
    let registry = all("BH-HOST-102");
    assert_eq!(registry.len(), 1, "one finding per file: {registry:?}");
    assert_eq!(registry[0]["file"], "/etc/containers/registries.conf");
    assert_eq!(registry[0]["value"], "registry.lan:5000");
    let api = finding(&report, "BH-HOST-104").expect("podman API on TCP");
    assert_eq!(api["severity"], "CRITICAL");
    assert_eq!(api["source"], "flag");
    assert_eq!(api["file"], "/etc/systemd/system/podman.service");
    // The rootless daemon's TCP API, with its own daemon.json and line.
    let rootless: Vec<Value> = all("BH-HOST-001")
        .into_iter()
        .filter(|f| f["file"] == "/home/dev/.config/docker/daemon.json")
        .collect();
    assert_eq!(rootless.len(), 1, "{:?}", all("BH-HOST-001"));
    assert_eq!(rootless[0]["line"], 2);
    assert!(rootless[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("rootless dockerd of /home/dev"));
    // The setuid helper is reported; Debian's runc, setuid here too, is owned by its package.
    let setuid = finding(&report, "BH-HOST-095").expect("unowned setuid");
    assert_eq!(setuid["value"], "/usr/local/bin/helper");
}
