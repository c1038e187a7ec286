module github.com/gamedayhq/gameday/harness

go 1.26.0
