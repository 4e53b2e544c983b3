"""Help-center knowledge: crawl aspro.cloud/help, index it, search it in Russian."""
