//! A render helper on its own, for the crate's tests: the production binaries serve helpers
//! themselves. With `LOGOFILL_RENDER_FAULT` set it misbehaves on purpose for inputs named
//! `...fault:<mode>...` (spin, alloc, stack, abort, exit), so the pool's handling of each death is
//! tested against a real process; `encode` answers with an encoder failure and `env` with the
//! names of its environment variables.

fn main() {
    let fault = std::env::var("LOGOFILL_RENDER_FAULT").is_ok();
    logofill_render::serve_if_helper_with(move |pipeline, name, bytes| {
        if fault {
            // The mode follows "fault:" anywhere in the name, so a test can put it in a URL.
            if let Some(mode) = name.split_once("fault:").map(|(_, m)| m) {
                if mode.starts_with("encode") {
                    // An encoder failure: says nothing about the source, so it is retryable.
                    return Err(logofill_image::ImageError::Encode {
                        name: name.to_string(),
                        size: 256,
                        format: "png",
                        detail: "scripted encoder failure".into(),
                    });
                }
                if mode == "env" {
                    // Answers with the names of the variables it was given.
                    let names: Vec<String> = std::env::vars_os()
                        .map(|(k, _)| k.to_string_lossy().into_owned())
                        .collect();
                    return Err(logofill_image::ImageError::NotAnImage {
                        name: name.to_string(),
                        hint: names.join(","),
                    });
                }
                misbehave(mode);
            }
        }
        pipeline.render(name, bytes)
    });
    eprintln!("logofill-render-helper: start me through logofill_render::RenderPool");
    std::process::exit(2);
}

fn misbehave(mode: &str) {
    match mode.split(['.', '/', '?']).next().unwrap_or_default() {
        "spin" => {
            let mut x: u64 = 1;
            loop {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        "alloc" => {
            let mut held: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut block = vec![0u8; 8 << 20];
                block[4096] = 1;
                held.push(std::hint::black_box(block));
            }
        }
        "stack" => {
            #[allow(unconditional_recursion)]
            fn deeper(n: u64) -> u64 {
                let pad = std::hint::black_box([n; 64]);
                deeper(n + 1) + pad[3]
            }
            std::hint::black_box(deeper(0));
        }
        "abort" => std::process::abort(),
        "exit" => std::process::exit(3),
        _ => {}
    }
}
