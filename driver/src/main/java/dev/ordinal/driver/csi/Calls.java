package dev.ordinal.driver.csi;

import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** Answers a unary call with the body's result, or with the status its failure maps to. */
final class Calls {

    private Calls() {
    }

    static <T> void answer(StreamObserver<T> observer, Supplier<T> body) {
        T response;
        try {
            response = body.get();
        } catch (Throwable failure) {
            observer.onError(CsiStatus.of(failure));
            return;
        }
        observer.onNext(response);
        observer.onCompleted();
    }
}
