# Workloads must say which team owns them (OPA 0.x syntax also loads).
package bulkhead.kubernetes.team_label

__rego_metadata__ := {
	"id": "ACME-K8S-001",
	"title": "Workload without a team label",
	"severity": "MEDIUM",
	"kinds": ["kubernetes"],
}

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}

deny[msg] {
	workload_kinds[input.kind]
	not input.metadata.labels.team
	msg := sprintf("%s/%s has no metadata.labels.team", [input.kind, input.metadata.name])
}

warn[msg] {
	workload_kinds[input.kind]
	not input.metadata.namespace
	msg := sprintf("%s/%s has no namespace", [input.kind, input.metadata.name])
}
