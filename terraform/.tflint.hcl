# tflint configuration for every module and environment under terraform/.
# Only the bundled terraform ruleset: the AWS ruleset plugin cannot be
# downloaded offline. The "all" preset adds naming, documentation, typing and
# module-structure rules to the recommended ones.
config {
  call_module_type = "local"
  force            = false
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
