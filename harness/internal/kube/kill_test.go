package kube_test

const envChild = "GAMEDAY_KUBE_TEST_CHILD"

func childMain() int { return 0 }
