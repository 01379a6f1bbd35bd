// placeholder: filled by the CSV tokenizer work
