"""Writers of small real documents for the tests: PDF by hand (there is no PDF
writer among our dependencies), DOCX with python-docx, EPUB and ODT as zips."""
