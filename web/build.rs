//! Links the WebAssembly module with a large stack: matcalc's deep work (the
//! printers, the rewrites, the derivation) recurses along an expression's
//! depth and, without threads, runs on the caller's stack.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        // 64 MiB, on the first pages of linear memory (an overflow traps
        // instead of overwriting data).
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=67108864");
        println!("cargo:rustc-link-arg-cdylib=--stack-first");
    }
}
