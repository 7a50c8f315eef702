//! Prints the program the `structured` target generates from a file of
//! bytes (a corpus entry or a finding), as the panic message would.
fn main() {
    let path = std::env::args().nth(1).expect("usage: show_case FILE");
    let data = std::fs::read(&path).expect("readable file");
    let mut u = arbitrary::Unstructured::new(&data);
    match matcalc_fuzz::generate::case(&mut u) {
        Ok(case) => println!("{case}"),
        Err(e) => eprintln!("no case: {e}"),
    }
}
