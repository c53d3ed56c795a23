//! Analyzers: each declares the paths it wants and turns those files into results during the
//! single pass. One file per cataloger.

pub mod apk;
pub mod dpkg;
pub mod image_files;
pub mod os;
mod records;
pub mod rpm;

pub use apk::ApkCataloger;
pub use dpkg::DpkgCataloger;
pub use image_files::ImageFilesAnalyzer;
pub use os::OsAnalyzer;
pub use rpm::RpmCataloger;

use artifact::Analyzer;

/// The analyzers a default image scan runs.
pub fn default_analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(OsAnalyzer),
        Box::new(DpkgCataloger),
        Box::new(ApkCataloger),
        Box::new(RpmCataloger),
        Box::new(ImageFilesAnalyzer),
    ]
}
