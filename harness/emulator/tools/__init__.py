"""The tools the emulator really performs: code_interpreter in the sandbox, file_search with
vector store ingestion.
"""
