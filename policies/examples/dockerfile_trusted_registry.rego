# Every stage must start from the company registry (or scratch / an earlier stage).
package bulkhead.dockerfile.trusted_registry

import rego.v1

__rego_metadata__ := {
	"id": "ACME-DF-001",
	"title": "Base image from an untrusted registry",
	"severity": "HIGH",
	"kinds": ["dockerfile"],
}

allowed_prefixes := ["registry.acme.example/", "scratch"]

earlier_stage(image) if {
	some stage in input.stages
	stage.name == lower(image)
}

deny contains result if {
	some stage in input.stages
	not earlier_stage(stage.image)
	not startswith_any(stage.image)
	result := {
		"msg": sprintf("stage %d starts from %s, outside registry.acme.example", [stage.index, stage.image]),
		"line": stage.line,
		"column": 1,
	}
}

startswith_any(image) if {
	some prefix in allowed_prefixes
	startswith(image, prefix)
}
