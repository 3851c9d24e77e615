use crate::files::FolderError;
use crate::files::Piece as FolderPiece;
use crate::runtime::bindings::ledgerlink::connector::files::{FileError, Host, Piece};
use crate::runtime::state::CallState;

impl CallState {
    fn folder(&self) -> Result<&crate::files::ConnectionFolder, FileError> {
        self.context.folder.as_deref().ok_or_else(|| {
            FileError::Denied(format!(
                "plugin {} has no connection folder here; files are available only when running for a connection",
                self.plugin
            ))
        })
    }
}

/// The contract's file errors have no quota class. A quota refusal is `denied`: the host
/// refused the write before writing anything (as for a path outside the folder), and trying
/// again will not help until an admin raises the quota. `io` would suggest a failing disk.
/// The message starts "disk quota exceeded:", so a connector (or a person) can tell it apart.
fn to_wit(e: FolderError) -> FileError {
    match e {
        FolderError::Denied { .. } | FolderError::Quota { .. } => FileError::Denied(e.to_string()),
        FolderError::NotFound { .. } => FileError::NotFound(e.to_string()),
        FolderError::Io { .. } => FileError::Io(e.to_string()),
    }
}

impl Host for CallState {
    async fn read(&mut self, path: String) -> wasmtime::Result<Result<Vec<u8>, FileError>> {
        Ok(self.folder().and_then(|f| f.read(&path).map_err(to_wit)))
    }

    async fn write(
        &mut self,
        path: String,
        contents: Vec<u8>,
    ) -> wasmtime::Result<Result<(), FileError>> {
        Ok(self
            .folder()
            .and_then(|f| f.write(&path, &contents).map_err(to_wit)))
    }

    async fn list_dir(&mut self, path: String) -> wasmtime::Result<Result<Vec<String>, FileError>> {
        Ok(self.folder().and_then(|f| f.list(&path).map_err(to_wit)))
    }

    async fn exists(&mut self, path: String) -> wasmtime::Result<Result<bool, FileError>> {
        Ok(self.folder().and_then(|f| f.exists(&path).map_err(to_wit)))
    }

    async fn size(&mut self, path: String) -> wasmtime::Result<Result<u64, FileError>> {
        Ok(self.folder().and_then(|f| f.size(&path).map_err(to_wit)))
    }

    async fn read_range(
        &mut self,
        path: String,
        offset: u64,
        length: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, FileError>> {
        Ok(self
            .folder()
            .and_then(|f| f.read_range(&path, offset, length).map_err(to_wit)))
    }

    async fn compose(
        &mut self,
        path: String,
        pieces: Vec<Piece>,
    ) -> wasmtime::Result<Result<(), FileError>> {
        let pieces: Vec<FolderPiece<'_>> = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Copy(range) => FolderPiece::Copy {
                    offset: range.offset,
                    length: range.length,
                },
                Piece::Bytes(bytes) => FolderPiece::Bytes(bytes),
            })
            .collect();
        Ok(self
            .folder()
            .and_then(|f| f.compose(&path, &pieces).map_err(to_wit)))
    }
}
