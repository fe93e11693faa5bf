# Entry points, as kubernetes-csi projects have them. Both find a JDK >= 21 on their own (hack/find-jdk.sh).
SHELL := /bin/bash
MVNW := ./mvnw -B -ntp
DRIVER_JAR := driver/target/quarkus-app/quarkus-run.jar
LOADCLIENT_JAR := loadclient/target/ordinal-loadclient.jar

.PHONY: run test build loadclient bench-allocator clean

## run: build the driver and start it all-in-one on /tmp/ordinal (socket unix:///tmp/ordinal/csi.sock).
##      Extra flags: make run ARGS="--disk fast=/mnt/nvme0 --node-id n1"
run: build
	@jdk=$$(hack/find-jdk.sh) && exec "$$jdk/bin/java" -jar $(DRIVER_JAR) $(ARGS)

## test: every test of every module (needs root for the mount, loop and btrfs tests, as in CI).
test:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) verify
	@hack/check-leftovers.sh

## build: the driver and its modules, without running tests.
build:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -pl driver -am package -DskipTests

## loadclient: the CSI load client jar (see BENCHMARKS.md).
loadclient:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -pl loadclient -am package -DskipTests

clean:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q clean
